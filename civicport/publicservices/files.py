"""Dossier files: checking uploads by their content, storing them, opening them for streaming.

What an upload is, is decided by its first bytes, never by its name or the browser's content
type: only PDF, JPEG and PNG are accepted. Files go through Django's default storage under a
random name (MEDIA_ROOT lies in the data directory, outside the web root; a view streams a file
after checking access), and the name the user gave is kept, cleaned, for display only.

Checks and their limits:

* size: empty files and files over `CIVICPORT_MAX_UPLOAD_BYTES` are refused; the bytes are
  counted while reading, so a wrong `size` attribute does not get a file through;
* images: width × height is read from the PNG IHDR chunk or the JPEG SOF segment without
  decoding, and more than `MAX_IMAGE_PIXELS` is refused (decompression bombs);
* PDFs: the whole file (at most the size limit) is scanned for the names `/JavaScript`, `/JS`
  and `/Launch`, also when written with `#xx` escapes. Names inside compressed object streams
  (PDF 1.5+) or encrypted files are not seen: this is a cheap filter, not a sanitiser. Files
  are never opened by the server; officers open them in their own viewer.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from civicport.publicservices.models import Dossier, DossierFile, FileKind, RequiredDocument

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# 50 megapixels: a 48 MP phone photo passes; 100000 × 100000 does not.
MAX_IMAGE_PIXELS = 50_000_000
CHUNK_SIZE = 64 * 1024
# Longest stretch of the file examined for a JPEG frame header (APP segments such as EXIF or
# ICC profiles come first and may be up to 64 KiB each).
JPEG_HEADER_SCAN_BYTES = 1024 * 1024
MAX_NAME_LENGTH = 255

# (magic bytes, content type, extension); the order does not matter, no prefix overlaps.
_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
EXTENSIONS = {content_type: extension for _magic, content_type, extension in _SIGNATURES}

# PDF names that run code or programs. A name ends at whitespace or a delimiter.
_PDF_ACTIVE_NAMES = frozenset({b"JavaScript", b"JS", b"Launch"})
_PDF_NAME = re.compile(
    rb"/(JavaScript|JS|Launch|[A-Za-z0-9]*#[0-9A-Fa-f]{2}[A-Za-z0-9#]*)"
    rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%])"
)
_PDF_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Enough overlap between chunks to see a name cut in two (the longest, escaped: 10 × 3 + 1).
_PDF_OVERLAP = 64
_SNIFF_BYTES = 8

# JPEG markers that start a frame (SOF0–SOF15 without DHT C4, JPG C8 and DAC CC).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM and RST0–RST7 (SOI/EOI do not occur before a frame).
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_JPEG_SOS = 0xDA


def max_upload_bytes() -> int:
    return getattr(settings, "CIVICPORT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)


@dataclass(frozen=True)
class Inspection:
    """What reading a whole upload once found out."""

    content_type: str
    extension: str
    size: int
    sha256: str


# --- errors ---------------------------------------------------------------------------------


def _refuse_type() -> ValidationError:
    return ValidationError(_("Only PDF, JPEG and PNG files are accepted."), code="file_type")


def _refuse_empty() -> ValidationError:
    return ValidationError(_("The file is empty."), code="file_empty")


def _refuse_size(limit: int) -> ValidationError:
    return ValidationError(
        _("The file is larger than %(limit)s."),
        code="file_too_large",
        params={"limit": filesizeformat(limit)},
    )


def _refuse_image(width: int, height: int) -> ValidationError:
    return ValidationError(
        _(
            "The image is too large (%(width)s × %(height)s pixels); at most %(limit)s "
            "megapixels are accepted."
        ),
        code="image_too_large",
        params={"width": width, "height": height, "limit": MAX_IMAGE_PIXELS // 1_000_000},
    )


def _refuse_active_pdf() -> ValidationError:
    return ValidationError(
        _(
            "The PDF contains scripts or commands, which are not accepted. Print it to a new PDF "
            "file and upload that one."
        ),
        code="file_unsafe",
    )


# --- validation -----------------------------------------------------------------------------


def file_validate(upload: File) -> tuple[str, str]:
    """Check an upload by its content; return `(content_type, extension)` or raise
    `ValidationError` (codes `file_empty`, `file_too_large`, `file_type`, `image_too_large`,
    `file_unsafe`). The upload is read once, in chunks, and left at position 0."""
    found = inspect_upload(upload)
    return found.content_type, found.extension


def inspect_upload(upload: File) -> Inspection:
    """`file_validate`, also returning the size and SHA-256 counted on the same read."""
    limit = max_upload_bytes()
    declared = getattr(upload, "size", None)
    if declared == 0:
        raise _refuse_empty()
    if declared is not None and declared > limit:
        raise _refuse_size(limit)

    upload.seek(0)
    content_type, extension = _sniff(upload.read(_SNIFF_BYTES))
    if content_type == "image/png":
        _check_pixels(*_png_size(upload))
    elif content_type == "image/jpeg":
        _check_pixels(*_jpeg_size(upload))

    digest, size = hashlib.sha256(), 0
    scanner = _PdfScanner() if content_type == "application/pdf" else None
    upload.seek(0)
    for chunk in _chunks(upload):
        size += len(chunk)
        if size > limit:
            raise _refuse_size(limit)
        digest.update(chunk)
        if scanner:
            scanner.feed(chunk)
    if scanner:
        scanner.finish()
    upload.seek(0)
    return Inspection(content_type, extension, size, digest.hexdigest())


def _chunks(upload: File):
    while chunk := upload.read(CHUNK_SIZE):
        yield chunk


def _sniff(head: bytes) -> tuple[str, str]:
    if not head:
        raise _refuse_empty()
    for magic, content_type, extension in _SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    raise _refuse_type()


def _check_pixels(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise _refuse_type()
    if width * height > MAX_IMAGE_PIXELS:
        raise _refuse_image(width, height)


def _read_exact(upload: IO[bytes], n: int) -> bytes:
    data = upload.read(n)
    if len(data) != n:
        raise _refuse_type()  # truncated header: not a usable image
    return data


def _png_size(upload: IO[bytes]) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG format requires to come first."""
    upload.seek(8)
    header = _read_exact(upload, 16)
    if header[:8] != b"\x00\x00\x00\x0dIHDR":
        raise _refuse_type()
    return int.from_bytes(header[8:12], "big"), int.from_bytes(header[12:16], "big")


def _jpeg_size(upload: IO[bytes]) -> tuple[int, int]:
    """Width and height from the first SOF segment, walking the segments after SOI."""
    upload.seek(2)
    position = 2
    while position < JPEG_HEADER_SCAN_BYTES:
        if _read_exact(upload, 1) != b"\xff":
            raise _refuse_type()
        marker = _read_exact(upload, 1)[0]
        position += 2
        while marker == 0xFF and position < JPEG_HEADER_SCAN_BYTES:  # fill bytes
            marker = _read_exact(upload, 1)[0]
            position += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker == _JPEG_SOS:
            break  # image data before any frame header
        length = int.from_bytes(_read_exact(upload, 2), "big")
        if length < 2:
            raise _refuse_type()
        if marker in _JPEG_SOF:
            segment = _read_exact(upload, 5)  # precision, height, width
            return int.from_bytes(segment[3:5], "big"), int.from_bytes(segment[1:3], "big")
        upload.seek(length - 2, 1)
        position += length
    raise _refuse_type()


class _PdfScanner:
    """Looks for script and launch actions in a PDF fed chunk by chunk."""

    def __init__(self):
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        for match in _PDF_NAME.finditer(data):
            name = _PDF_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
            if name in _PDF_ACTIVE_NAMES:
                raise _refuse_active_pdf()
        self._tail = data[-_PDF_OVERLAP:]

    def finish(self) -> None:
        # A name may end the file: a delimiter after it lets the pattern see it end.
        self.feed(b"\n")


# --- names ----------------------------------------------------------------------------------


def clean_original_name(name: str | None, extension: str = "") -> str:
    """The user's file name made safe to store and display: NFC, no folders, no control or
    format characters (bidi overrides included), at most 255 characters with the extension
    kept. Only ever displayed: files are stored under random names."""
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".").strip()
    if not text:
        text = f"file{extension}"
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, suffix = text.rpartition(".")
        if not (dot and stem and len(suffix) < 16):
            stem, suffix = text, ""
        keep = f".{suffix}" if suffix else ""
        text = stem[: MAX_NAME_LENGTH - len(keep)].rstrip() + keep
    return text


def _stored_name(extension: str) -> str:
    # Random and unguessable; the FileField's upload_to adds the dossiers/YYYY/MM/ folders.
    return f"{uuid.uuid4().hex}{extension}"


# --- storing and opening --------------------------------------------------------------------


def dossier_file_store(
    *,
    dossier: Dossier,
    upload: File,
    kind: str,
    required_document: RequiredDocument | None = None,
    user=None,
    checked: Inspection | None = None,
) -> DossierFile:
    """Validate an upload and store it as a file of `dossier`. Raises `ValidationError`.
    `checked`: what `inspect_upload` found for this very upload (it is not read again)."""
    if kind not in FileKind.values:
        raise ValueError(f"unknown file kind {kind!r}")
    if required_document is not None and required_document.procedure_id != dossier.procedure_id:
        raise ValueError("the required document belongs to another procedure")
    found = checked or inspect_upload(upload)
    return _save(
        DossierFile(
            dossier=dossier,
            kind=kind,
            required_document=required_document,
            original_name=clean_original_name(getattr(upload, "name", ""), found.extension),
            content_type=found.content_type,
            size=found.size,
            sha256=found.sha256,
            uploaded_by=user,
        ),
        _stored_name(found.extension),
        upload,
    )


def generated_file_store(
    *, dossier: Dossier, kind: str, name: str, content: bytes, content_type: str, user=None
) -> DossierFile:
    """Store a file the platform made (a receipt or notice PDF) as a file of `dossier`."""
    if kind not in FileKind.values:
        raise ValueError(f"unknown file kind {kind!r}")
    extension = EXTENSIONS.get(content_type, "")
    return _save(
        DossierFile(
            dossier=dossier,
            kind=kind,
            original_name=clean_original_name(name, extension),
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=user,
        ),
        _stored_name(extension),
        ContentFile(content),
    )


def _save(row: DossierFile, stored_name: str, content: File) -> DossierFile:
    content.seek(0)
    row.file.save(stored_name, content, save=False)
    try:
        row.save()
    except Exception:
        row.file.delete(save=False)
        raise
    # If the caller's transaction rolls back later, the stored file stays without a row:
    # unreachable (random name, never served statically); a periodic sweep can remove it.
    return row


def dossier_file_open(dossier_file: DossierFile) -> File:
    """An open binary handle on the stored file, for `FileResponse` after an access check."""
    return dossier_file.file.storage.open(dossier_file.file.name, "rb")
