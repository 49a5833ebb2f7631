from django.contrib import admin

from governance.catalog.models import Model, ModelPrice
from governance.catalog.services import model_price_add, model_upsert


class ModelPriceInline(admin.TabularInline):
    model = ModelPrice
    extra = 0
    can_delete = False
    readonly_fields = (
        "effective_from",
        "input_per_mtok",
        "cached_input_per_mtok",
        "output_per_mtok",
        "note",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Model)
class ModelAdmin(admin.ModelAdmin):
    list_display = ("name", "provider", "tier", "priced_as", "full_counterpart")
    list_filter = ("tier", "provider")
    fields = (
        "name",
        "display_name",
        "provider",
        "tier",
        "priced_as",
        "full_counterpart",
        "context_window",
        "max_output_tokens",
    )
    inlines = [ModelPriceInline]

    def save_model(self, request, obj, form, change):
        saved = model_upsert(
            name=obj.name,
            provider=obj.provider,
            tier=obj.tier,
            priced_as=obj.priced_as,
            display_name=obj.display_name,
            full_counterpart=obj.full_counterpart,
            context_window=obj.context_window,
            max_output_tokens=obj.max_output_tokens,
            actor=request.user,
        )
        obj.pk = saved.pk


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = (
        "model",
        "effective_from",
        "input_per_mtok",
        "cached_input_per_mtok",
        "output_per_mtok",
        "note",
    )
    fields = (
        "model",
        "effective_from",
        "input_per_mtok",
        "cached_input_per_mtok",
        "output_per_mtok",
        "note",
    )

    def get_readonly_fields(self, request, obj=None):
        # Prices are history: a wrong price is corrected by a newer one, not edited.
        return self.fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        saved = model_price_add(
            model=obj.model,
            effective_from=obj.effective_from,
            input_per_mtok=obj.input_per_mtok,
            cached_input_per_mtok=obj.cached_input_per_mtok,
            output_per_mtok=obj.output_per_mtok,
            note=obj.note,
            actor=request.user,
        )
        obj.pk = saved.pk
