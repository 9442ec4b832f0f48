"""Rendered page parts cached until the IOC's data changes.

Every change in the IOC writes an `Event` (refreshes included), so the newest event's id is a
data version every process reads the same way (one primary-key lookup). A fragment is cached
under its name, parameters and that version: the wall screen and the drill-downs render their
tables and charts once per change, not once per request — what keeps them within their
latency budget on a busy machine. The viewer's own parts (navigation, account) are rendered
per request around the fragment; access is checked before any fragment is used.
"""

from collections.abc import Callable

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from civicport.ioc.models import Event

TTL_SECONDS = 300


def data_version() -> int:
    return Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def fragment(name: str, params: tuple, template: str, build: Callable[[], dict],
             request=None) -> SafeString:
    """The HTML of `template` rendered with `build()`, cached per data version and language."""
    key = f"ioc:{name}:{get_language()}:{data_version()}:" + ":".join(map(str, params))
    html = cache.get(key)
    if html is None:
        html = render_to_string(template, build(), request=request)
        cache.set(key, html, TTL_SECONDS)
    return mark_safe(html)  # our own template's output


def cached_data(name: str, params: tuple, build: Callable[[], dict]) -> dict:
    """`build()` cached like a fragment (for the JSON API's chart data)."""
    key = f"ioc:data:{name}:{get_language()}:{data_version()}:" + ":".join(map(str, params))
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, TTL_SECONDS)
    return data
