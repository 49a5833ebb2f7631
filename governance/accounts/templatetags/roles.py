"""People's roles in templates: `{% if user|is_reader %}`, `{% if user|is_admin %}`."""

from __future__ import annotations

from django import template

from governance.accounts import roles

register = template.Library()

register.filter("is_reader", roles.is_reader)
register.filter("is_admin", roles.is_admin)
