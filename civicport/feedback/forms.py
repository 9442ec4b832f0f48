"""Parsing of the feedback forms' raw input into action arguments (no rules here)."""

import datetime

from civicport.feedback.actions import Intake
from civicport.feedback.photos import MAX_PHOTOS, max_bytes


def parse_int(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else value
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_float(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return float("nan")  # not silently "no location": point_in_city refuses NaN


def parse_date(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


def read_photos(files, field: str = "photos") -> list[tuple[str, bytes]]:
    """Uploaded photos as (name, bytes); an oversized file is read only up to the limit + 1
    byte, enough for the size check to refuse it."""
    photos = []
    for upload in files.getlist(field)[: MAX_PHOTOS + 1]:
        photos.append((upload.name[:100], upload.read(max_bytes() + 1)))
    return photos


FORM_KEYS = ("category", "description", "lat", "lon", "ward", "address", "name", "phone",
             "email", "idempotency_key")


def form_values(post) -> dict:
    """The form's fields to render back: every key present ("" when absent)."""
    values = {key: post.get(key, "") for key in FORM_KEYS}
    return {key: value for key, value in values.items() if value or key != "idempotency_key"}


def intake_from_post(post, files, channel: str) -> Intake:
    attributes = {key[5:]: post.getlist(key) if len(post.getlist(key)) > 1 else post.get(key)
                  for key in post if key.startswith("attr_")}
    return Intake(
        description=post.get("description", ""), channel=channel,
        category_code=post.get("category", "").strip()[:40],
        lat=parse_float(post.get("lat")), lon=parse_float(post.get("lon")),
        address=post.get("address", "")[:300], ward_code=parse_int(post.get("ward")),
        attributes=attributes, reporter_name=post.get("name", ""),
        reporter_phone=post.get("phone", ""), reporter_email=post.get("email", ""),
        photos=read_photos(files), idempotency_key=post.get("idempotency_key", ""),
    )
