from django.contrib import admin

from governance.catalog.models import Model, ModelPrice
from governance.catalog.services import model_price_add, model_upsert

# A price as the admin shows it: its model, then what it charges from when.
PRICE_FIELDS = (
    "model",
    "effective_from",
    "input_per_mtok",
    "cached_input_per_mtok",
    "output_per_mtok",
    "note",
)


def _save_through(service, request, obj, fields) -> None:
    # The catalog's services write (and audit) models and prices; the admin's
    # form hands them its fields, which are the services' keywords.
    saved = service(**{name: getattr(obj, name) for name in fields}, actor=request.user)
    obj.pk = saved.pk


class ModelPriceInline(admin.TabularInline):
    model = ModelPrice
    extra = 0
    can_delete = False
    readonly_fields = PRICE_FIELDS[1:]

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
        _save_through(model_upsert, request, obj, self.fields)


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = PRICE_FIELDS
    fields = PRICE_FIELDS

    def get_readonly_fields(self, request, obj=None):
        # Prices are history: a wrong price is corrected by a newer one, not edited.
        return self.fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        _save_through(model_price_add, request, obj, self.fields)
