from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from governance.accounts import roles
from governance.accounts.permissions import AdminRequiredMixin, ReaderRequiredMixin
from governance.audit.selectors import audit_events_for
from governance.changes.models import ChangeKind
from governance.changes.selectors import four_eyes_on
from governance.changes.services import change_from_page, waiting_message
from governance.core.errors import FieldError
from governance.flags.forms import FlagForm, FlagToggleForm
from governance.flags.readable import flag_rules_readable, schedule_text, split_text
from governance.flags.selectors import flag_get, flag_is_stale, flag_list, flags_snapshot_current
from governance.flags.services import FlagError, flag_create, flag_toggle, flag_update


def _flag_or_404(key: str):
    flag = flag_get(key=key)
    if flag is None:
        raise Http404(f"No flag {key!r}")
    return flag


def _in_window(specs, key: str, now) -> bool | None:
    """Whether a scheduled flag is inside its time window now (None: no schedule)."""
    spec = specs.get(key)
    if spec is None or spec.schedule is None:
        return None
    return spec.schedule.is_active(now)


class FlagListView(LoginRequiredMixin, ReaderRequiredMixin, View):
    def get(self, request):
        now = timezone.now()
        specs = flags_snapshot_current().specs
        rows = [
            {
                "flag": f,
                "stale": flag_is_stale(flag=f, now=now),
                "in_window": _in_window(specs, f.key, now),
            }
            for f in flag_list()
        ]
        return render(
            request,
            "flags/flag_list.html",
            {"rows": rows, "can_change": roles.is_admin(request.user)},
        )


class FlagCreateView(LoginRequiredMixin, AdminRequiredMixin, View):
    def get(self, request):
        form = FlagForm(
            initial={
                "flag_type": "boolean",
                "variants": {"on": True, "off": False},
                "default_variant": "on",
                "off_variant": "off",
            }
        )
        return render(request, "flags/flag_form.html", {"form": form, "creating": True})

    def post(self, request):
        form = FlagForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                flag = flag_create(
                    key=data["key"],
                    flag_type=data["flag_type"],
                    variants=data["variants"],
                    default_variant=data["default_variant"],
                    off_variant=data["off_variant"] or None,
                    rules=data["rules"],
                    rollout=data["rollout"],
                    schedule=data["schedule"],
                    description=data["description"],
                    owner=data["owner"],
                    expires_at=data["expires_at"],
                    enabled=False,
                    actor=request.user,
                    reason=data["reason"],
                )
            except FlagError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, f"Flag {flag.key} created (off). Turn it on when ready.")
                return HttpResponseRedirect(reverse("flags:detail", args=[flag.key]))
        return render(request, "flags/flag_form.html", {"form": form, "creating": True}, status=400)


class FlagDetailView(LoginRequiredMixin, ReaderRequiredMixin, View):
    """Readers see the flag and its history; admins also get the edit form.
    A manager's POST is refused (403) here, not only hidden in the page."""

    def _page(self, request, flag, form=None, status=200):
        can_change = roles.is_admin(request.user)
        if can_change and form is None:
            form = FlagForm(
                initial={
                    **flag.spec_dict(),
                    "flag_type": flag.flag_type,
                    "description": flag.description,
                    "owner": flag.owner,
                    "expires_at": flag.expires_at,
                    "off_variant": flag.off_variant,
                }
            )
            form.fields["key"].disabled = True
        context = {
            "flag": flag,
            "form": form,
            "can_change": can_change,
            "stale": flag_is_stale(flag=flag, now=timezone.now()),
            "in_window": _in_window(flags_snapshot_current().specs, flag.key, timezone.now()),
            "events": audit_events_for(target_type="flags.flag", target_id=str(flag.pk))[:20],
            "readable_rules": flag_rules_readable(flag.rules or []),
            "readable_rollout": split_text(flag.rollout) if flag.rollout else "",
            "readable_schedule": schedule_text(flag.schedule),
        }
        return render(request, "flags/flag_detail.html", context, status=status)

    def get(self, request, key: str):
        return self._page(request, _flag_or_404(key))

    def post(self, request, key: str):
        if not roles.is_admin(request.user):
            raise PermissionDenied("Only Governor admins may change flags.")
        flag = _flag_or_404(key)
        form = FlagForm({**request.POST.dict(), "key": flag.key})
        form.fields["key"].disabled = True
        form.initial["key"] = flag.key
        if form.is_valid():
            data = form.cleaned_data
            changes = {
                "variants": data["variants"],
                "default_variant": data["default_variant"],
                "off_variant": data["off_variant"] or None,
                "rules": data["rules"],
                "rollout": data["rollout"],
                "schedule": data["schedule"],
                "description": data["description"],
                "owner": data["owner"],
                "expires_at": data["expires_at"],
            }
            try:
                waiting = None
                if four_eyes_on():
                    waiting = change_from_page(
                        kind=ChangeKind.FLAG_UPDATE,
                        payload={
                            "key": flag.key,
                            "changes": {**changes, "type": data["flag_type"]},
                        },
                        actor=request.user,
                        reason=data["reason"],
                    )
                else:
                    flag_update(
                        flag=flag,
                        actor=request.user,
                        reason=data["reason"],
                        flag_type=data["flag_type"],
                        **changes,
                    )
            except FieldError as exc:
                form.add_service_error(exc)
            else:
                if waiting is not None:
                    messages.info(request, waiting_message(waiting))
                else:
                    messages.success(request, f"Flag {flag.key} saved.")
                return HttpResponseRedirect(reverse("flags:detail", args=[flag.key]))
        return self._page(request, flag, form=form, status=400)


class FlagToggleView(LoginRequiredMixin, AdminRequiredMixin, View):
    """The kill switch. Answers JSON to the page's small script (no reload),
    and redirects for a plain form post."""

    def post(self, request, key: str):
        flag = _flag_or_404(key)
        form = FlagToggleForm(request.POST)
        wants_json = "application/json" in request.headers.get("Accept", "")
        back = (
            reverse("flags:list")
            if request.POST.get("back") == "list"
            else reverse("flags:detail", args=[key])
        )
        error = ""
        waiting = None
        if not form.is_valid():
            error = "Say why you turn the flag on or off: the reason is required."
        else:
            enabled = form.cleaned_data["enabled"]
            try:
                if four_eyes_on():
                    # Turning off is the kill switch: at once, reviewed afterwards.
                    waiting = change_from_page(
                        kind=ChangeKind.FLAG_TOGGLE,
                        payload={"key": flag.key, "enabled": enabled},
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        emergency=not enabled,
                    )
                    flag = _flag_or_404(key)
                else:
                    flag = flag_toggle(
                        flag=flag,
                        enabled=enabled,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
            except FieldError as exc:
                error = exc.message
        if wants_json:
            if error:
                return JsonResponse({"key": flag.key, "error": error}, status=400)
            return JsonResponse(
                {
                    "key": flag.key,
                    "enabled": flag.enabled,
                    "message": waiting_message(waiting)
                    if waiting is not None
                    else f"Flag {flag.key} is now {'on' if flag.enabled else 'off'}.",
                }
            )
        if error:
            messages.error(request, error)
        elif waiting is not None:
            messages.info(request, waiting_message(waiting))
        else:
            messages.success(request, f"Flag {flag.key} is now {'on' if flag.enabled else 'off'}.")
        return HttpResponseRedirect(back)
