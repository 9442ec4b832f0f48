"""Venue photos: only real images, bounded in bytes and pixels, re-encoded without metadata.

An upload is decoded by Pillow (never trusted by name or content type), turned upright from
its EXIF orientation, shrunk to at most MAX_SIDE pixels and saved as a fresh JPEG, so no EXIF
(GPS position, camera serial) survives. Files go to the default storage (the data directory,
outside the web root) under random names and are served by a view.
"""

import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from civicport.tourism.actions import _check_staff, _event
from civicport.tourism.models import Photo, Venue

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600
MAX_PHOTOS = 12
FORMATS = {"JPEG", "PNG", "WEBP"}


def _read(upload, limit: int) -> bytes:
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(_("The photo is larger than %(mb)d MB.") % {"mb": limit // 2**20},
                              code="too_big")
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    return data


def image_clean(data: bytes) -> tuple[bytes, int, int]:
    """Check `data` is a JPEG/PNG/WebP image; returns (jpeg bytes without EXIF, w, h)."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise ValidationError(_("Only JPEG, PNG or WebP photos are accepted."),
                                      code="format")
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), code="too_big")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)  # no exif= → none written
            return out.getvalue(), image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("This file is not a readable image."), code="format") from exc


def photo_add(*, actor, venue_id: int, upload, caption: str = "") -> Photo:
    _check_staff(actor)
    data = _read(upload, MAX_BYTES)
    content, width, height = image_clean(data)
    name = f"tourism/photos/{uuid.uuid4().hex}.jpg"
    stored = None
    try:
        with transaction.atomic():
            venue = Venue.objects.select_for_update().filter(pk=venue_id).first()
            if venue is None:
                raise ValidationError(_("This venue does not exist."), code="not_found")
            if venue.photos.count() >= MAX_PHOTOS:
                raise ValidationError(_("A venue has at most %(n)d photos.") % {"n": MAX_PHOTOS})
            stored = default_storage.save(name, ContentFile(content))
            photo = Photo.objects.create(venue=venue, file=stored, width=width, height=height,
                                         size=len(content), caption=caption.strip()[:200],
                                         uploaded_by=actor)
            _event(actor=actor, action="photo_add", venue=venue, to_state=str(photo.pk))
    except Exception:
        if stored:  # nothing changed: no orphan file either
            default_storage.delete(stored)
        raise
    return photo


def photo_open(photo: Photo):
    return default_storage.open(photo.file, "rb")
