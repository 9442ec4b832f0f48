"""Report photos: checked by decoding, kept private, published as a re-encoded copy.

The original bytes are stored under DATA_DIR/feedback/photos/original (never served). The public
copy is decoded and re-encoded as JPEG by Pillow, which writes no EXIF (GPS position, camera,
owner) and drops anything appended to the file; it is served by `views.photo`.
"""

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from civicport.feedback.rules import FeedbackError, env_int

MAX_PHOTOS = 5
PUBLIC_MAX_SIDE = 1600  # the public copy is scaled down to this
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def max_bytes() -> int:
    return env_int("FEEDBACK_MAX_PHOTO_BYTES", 8 * 1024 * 1024)


def max_pixels() -> int:
    return env_int("FEEDBACK_MAX_PHOTO_PIXELS", 40_000_000)


def photo_root() -> Path:
    return Path(settings.DATA_DIR) / "feedback" / "photos"


@dataclass
class CheckedPhoto:
    original: bytes
    public: bytes
    width: int
    height: int


def photo_check(data: bytes, name: str = "") -> CheckedPhoto:
    """Decode an upload and make its public copy, or raise FeedbackError (nothing stored)."""
    label = name or _("the photo")
    if len(data) > max_bytes():
        raise FeedbackError(
            "photo_too_large",
            _("%(name)s is larger than %(mb)d MB.") % {"name": label, "mb": max_bytes() // 2**20},
            field="photos",
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ALLOWED_FORMATS:
                raise UnidentifiedImageError(fmt)
            if width * height > max_pixels():
                raise FeedbackError(
                    "photo_too_many_pixels",
                    _("%(name)s has too many pixels.") % {"name": label}, field="photos",
                )
            probe.verify()
        # verify() leaves the image unusable: open again to decode the pixels for real.
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)  # keep the orientation EXIF would have given
            image = image.convert("RGB")
            image.thumbnail((PUBLIC_MAX_SIDE, PUBLIC_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
            size = image.size
    except FeedbackError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise FeedbackError(
            "photo_not_image",
            _("%(name)s is not a JPEG, PNG, WebP or GIF image.") % {"name": label},
            field="photos",
        ) from None
    return CheckedPhoto(original=data, public=out.getvalue(), width=size[0], height=size[1])


def photo_write(checked: CheckedPhoto) -> tuple[str, str]:
    """Store both copies under random names; returns (original_name, public_name)."""
    root = photo_root()
    (root / "original").mkdir(parents=True, exist_ok=True)
    (root / "public").mkdir(parents=True, exist_ok=True)
    stem = secrets.token_hex(16)
    original_name, public_name = f"{stem}.bin", f"{stem}.jpg"
    (root / "original" / original_name).write_bytes(checked.original)
    (root / "public" / public_name).write_bytes(checked.public)
    return original_name, public_name


def public_path(public_name: str) -> Path | None:
    """The file of a public copy, or None for a name that is not one of ours."""
    if len(public_name) != 36 or not public_name.endswith(".jpg") or not all(
        c in "0123456789abcdef" for c in public_name[:32]
    ):
        return None
    path = photo_root() / "public" / public_name
    return path if path.is_file() else None
