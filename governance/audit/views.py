from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from governance.accounts import roles
from governance.accounts.permissions import AdminRequiredMixin, ReaderRequiredMixin
from governance.audit.forms import AuditFilterForm, WebhookActiveForm, WebhookEndpointForm
from governance.audit.models import WebhookDelivery, WebhookEndpoint
from governance.audit.selectors import (
    audit_events,
    audit_filter_choices,
    webhook_deliveries,
    webhook_endpoints,
)
from governance.audit.services import (
    WebhookError,
    webhook_delivery_retry,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
)

PAGE_SIZE = 50


class AuditLogView(LoginRequiredMixin, ReaderRequiredMixin, View):
    def get(self, request):
        form = AuditFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
        events = audit_events(**{k: v for k, v in filters.items() if v})
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {"form": form, "page": page, "query": query.urlencode(), **audit_filter_choices()}
        return render(request, "audit/audit_log.html", context, status=400 if form.errors else 200)


class WebhookListView(LoginRequiredMixin, ReaderRequiredMixin, View):
    def _page(self, request, form=None, status=200, new_secret=""):
        can_change = roles.is_admin(request.user)
        context = {
            "endpoints": webhook_endpoints(),
            "deliveries": webhook_deliveries(),
            "can_change": can_change,
            "form": form or (WebhookEndpointForm() if can_change else None),
            "new_secret": new_secret,
        }
        return render(request, "audit/webhooks.html", context, status=status)

    def get(self, request):
        return self._page(request)


class WebhookCreateView(LoginRequiredMixin, AdminRequiredMixin, View):
    def post(self, request):
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                endpoint = webhook_endpoint_create(
                    url=data["url"],
                    events=data["events"],
                    description=data["description"],
                    actor=request.user,
                    reason=data["reason"],
                )
            except WebhookError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                # Shown in this response only: a redirect would carry it in a
                # message, i.e. in a cookie or the session.
                response = WebhookListView()._page(request, new_secret=endpoint.secret)
                response["Cache-Control"] = "no-store"
                return response
        return WebhookListView()._page(request, form=form, status=400)


class WebhookActiveView(LoginRequiredMixin, AdminRequiredMixin, View):
    def post(self, request, pk: int):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        form = WebhookActiveForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why: the reason is required.")
        else:
            webhook_endpoint_set_active(
                endpoint=endpoint,
                is_active=form.cleaned_data["is_active"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                f"Webhook {endpoint.origin} {'resumed' if form.cleaned_data['is_active'] else 'paused'}.",
            )
        return HttpResponseRedirect(reverse("audit:webhooks"))


class WebhookDeliveryRetryView(LoginRequiredMixin, AdminRequiredMixin, View):
    def post(self, request, pk: int):
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        if webhook_delivery_retry(delivery=delivery, actor=request.user):
            messages.success(request, f"Delivery {delivery.pk} ({delivery.event}) queued again.")
        else:
            messages.error(request, f"Delivery {delivery.pk} has not failed; nothing to retry.")
        return HttpResponseRedirect(reverse("audit:webhooks"))
