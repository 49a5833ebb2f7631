"""Money in templates as people read it: `{{ amount|usd }}`, `{{ amount|amount:unit }}`."""

from __future__ import annotations

from django import template

from governance.core.money import amount_display, usd_display

register = template.Library()

register.filter("usd", usd_display)
register.filter("amount", amount_display)
