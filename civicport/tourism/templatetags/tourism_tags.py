"""Template filters of the tourism pages."""

from django import template

register = template.Library()


@register.filter
def vnd(value) -> str:
    """35000 → '35.000 đ' (Vietnamese thousands separator)."""
    try:
        return f"{int(value):,} đ".replace(",", ".")
    except (TypeError, ValueError):
        return ""
