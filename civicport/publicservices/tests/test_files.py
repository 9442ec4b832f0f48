"""Uploads: type by content, size and pixel limits, active PDFs, storage under random names."""

import hashlib
import re
import struct
import unicodedata
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from civicport.publicservices import files
from civicport.publicservices.files import (
    clean_original_name,
    dossier_file_open,
    dossier_file_store,
    file_validate,
    generated_file_store,
)
from civicport.publicservices.models import DossierFile, FileKind, RequiredDocument
from civicport.publicservices.tests import factories

# --- real, minimal files --------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(width: int = 2, height: int = 1) -> bytes:
    """A valid 8-bit greyscale PNG (the pixel data only matches when the size is small)."""
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(min(height, 4)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(width: int = 2, height: int = 1, *, exif_bytes: int = 0) -> bytes:
    """SOI, JFIF APP0, an optional big APP1, DQT, a baseline SOF0, DHT, SOS, EOI."""
    parts = [b"\xff\xd8", _jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")]
    if exif_bytes:
        parts.append(_jpeg_segment(0xE1, b"Exif\x00\x00" + b"\x00" * exif_bytes))
    parts += [
        _jpeg_segment(0xDB, b"\x00" + bytes(range(1, 65))),
        _jpeg_segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"),
        _jpeg_segment(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00"),
        _jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
        b"\x00\x00\xff\xd9",
    ]
    return b"".join(parts)


def pdf(extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R" + extra + b" >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R /Size 4 >>\n%%EOF\n"
    )


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"


def upload(data: bytes, name: str = "scan.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def refused(data: bytes, name: str = "x.pdf", **kwargs) -> str:
    with pytest.raises(ValidationError) as info:
        file_validate(upload(data, name, **kwargs))
    return info.value.code


# --- file_validate --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (pdf(), ("application/pdf", ".pdf")),
        (jpeg(), ("image/jpeg", ".jpg")),
        (png(), ("image/png", ".png")),
    ],
)
def test_pdf_jpeg_and_png_are_accepted_by_content(data, expected):
    # Name and declared type are deliberately wrong: only the bytes count.
    assert file_validate(upload(data, "ten-tep.bin", "text/plain")) == expected


def test_an_executable_named_pdf_is_refused():
    assert refused(EXE, "hoa-don.pdf", content_type="application/pdf") == "file_type"


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a\x01\x00\x01\x00",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"PK\x03\x04zip",
        b" %PDF-1.4 leading space",
        b"%PD",
    ],
)
def test_other_contents_are_refused(data):
    assert refused(data) == "file_type"


def test_an_empty_file_is_refused():
    assert refused(b"") == "file_empty"


def test_a_file_over_the_limit_is_refused(settings):
    settings.CIVICPORT_MAX_UPLOAD_BYTES = 100
    data = pdf(b" /Padding (" + b"x" * 200 + b")")
    assert refused(data) == "file_too_large"
    settings.CIVICPORT_MAX_UPLOAD_BYTES = len(data)
    assert file_validate(upload(data)) == ("application/pdf", ".pdf")


def test_the_limit_holds_when_the_size_attribute_lies(settings):
    settings.CIVICPORT_MAX_UPLOAD_BYTES = 100
    lying = ContentFile(pdf(b" /Padding (" + b"x" * 200 + b")"), name="x.pdf")
    lying.size = 10
    with pytest.raises(ValidationError) as info:
        file_validate(lying)
    assert info.value.code == "file_too_large"


def test_the_default_limit_is_ten_megabytes(settings):
    del settings.CIVICPORT_MAX_UPLOAD_BYTES
    assert files.max_upload_bytes() == 10 * 1024 * 1024


@pytest.mark.parametrize(
    "data",
    [png(100_000, 100_000), png(50_001, 1000), jpeg(20_000, 20_000), jpeg(65_535, 65_535)],
)
def test_images_with_absurd_dimensions_are_refused(data):
    assert refused(data, "anh.png") == "image_too_large"


def test_big_but_plausible_photos_are_accepted():
    assert file_validate(upload(jpeg(8000, 6000)))[0] == "image/jpeg"  # 48 MP
    assert file_validate(upload(png(7000, 7000)))[0] == "image/png"  # 49 MP


def test_the_jpeg_frame_is_found_after_large_metadata_segments():
    with pytest.raises(ValidationError) as info:
        file_validate(upload(jpeg(30_000, 30_000, exif_bytes=60_000)))
    assert info.value.code == "image_too_large"
    assert file_validate(upload(jpeg(4000, 3000, exif_bytes=60_000)))[0] == "image/jpeg"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n",  # signature only
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"tEXt", b"a\x00b"),  # IHDR not first
        png(0, 10),
        b"\xff\xd8\xff",  # SOI only
        b"\xff\xd8" + _jpeg_segment(0xE0, b"JFIF\x00") + b"\xff\xda\x00\x02",  # scan, no frame
        jpeg(0, 10),
        b"\xff\xd8" + b"\xff" * (files.JPEG_HEADER_SCAN_BYTES + 10),  # endless fill bytes
    ],
)
def test_broken_image_headers_are_refused(data):
    assert refused(data) == "file_type"


@pytest.mark.parametrize(
    "extra",
    [
        b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        b" /OpenAction << /S /Launch /F (cmd.exe) >>",
        b" /AA << /O << /S /J#61vaScript /J#53 (x) >> >>",  # #xx escapes in names
        b"/OpenAction<</S/JavaScript/JS(x)>>",  # no whitespace at all
    ],
)
def test_pdfs_with_scripts_or_launch_actions_are_refused(extra):
    assert refused(pdf(extra)) == "file_unsafe"


def test_an_active_name_cut_by_a_chunk_boundary_is_seen():
    head = pdf()
    padding = b"%" + b"x" * (files.CHUNK_SIZE - len(head) - 5) + b"\n"
    data = head + padding + b"/Launch /F (x)"
    assert data.index(b"/Launch") < files.CHUNK_SIZE < data.index(b"/Launch") + 7
    assert refused(data) == "file_unsafe"


def test_an_active_name_at_the_very_end_is_seen():
    assert refused(pdf() + b"/JS") == "file_unsafe"


def test_names_that_only_start_like_active_ones_are_accepted():
    data = pdf(b" /JSONData 1 /Launcher 2 /JavaScripts 3 /MyJS 4")
    assert file_validate(upload(data)) == ("application/pdf", ".pdf")


def test_validation_leaves_the_upload_at_its_start():
    item = upload(png())
    file_validate(item)
    assert item.read(8) == b"\x89PNG\r\n\x1a\n"


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\An\\Desktop\\CCCD mặt trước.jpg", "CCCD mặt trước.jpg"),
        ("bi\x00en\x07 ban\x1b.pdf", "bien ban.pdf"),
        ("hoa-don\u202efdp.exe", "hoa-donfdp.exe"),  # right-to-left override removed
        ("  .hidden.pdf ", "hidden.pdf"),
        ("..", "file.pdf"),
        ("", "file.pdf"),
        (None, "file.pdf"),
        ("/", "file.pdf"),
    ],
)
def test_original_names_are_cleaned(name, expected):
    assert clean_original_name(name, ".pdf") == expected


def test_original_names_are_nfc():
    decomposed = unicodedata.normalize("NFD", "Giấy khai sinh.pdf")
    assert clean_original_name(decomposed) == "Giấy khai sinh.pdf"
    assert len(clean_original_name(decomposed)) < len(decomposed)


def test_very_long_names_are_cut_to_255_keeping_the_extension():
    name = clean_original_name("đ" * 1000 + ".pdf")
    assert len(name) == 255 and name.endswith("đ.pdf")
    assert len(clean_original_name("x" * 300)) == 255
    assert clean_original_name("a." + "b" * 300) == ("a." + "b" * 300)[:255]


# --- storing --------------------------------------------------------------------------------


@pytest.fixture
def dossier(db):
    return factories.dossier()


def stored_files(root) -> list:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


_STORED_NAME = re.compile(r"^dossiers/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|jpg|png)$")


def test_an_upload_is_stored_under_a_random_name(media, dossier, make_user):
    user = make_user()
    data = png()
    row = dossier_file_store(
        dossier=dossier,
        upload=upload(data, "../../etc/passwd.pdf"),
        kind=FileKind.DOCUMENT,
        user=user,
    )
    row.refresh_from_db()
    assert _STORED_NAME.match(row.file.name), row.file.name
    assert row.file.name.endswith(".png")  # from the content, not from the name
    assert row.content_type == "image/png"
    assert row.original_name == "passwd.pdf"
    assert row.size == len(data)
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert row.uploaded_by == user and row.dossier == dossier and row.kind == FileKind.DOCUMENT
    [path] = stored_files(media)
    assert path.read_bytes() == data
    assert path.relative_to(media).as_posix() == row.file.name


def test_the_user_name_never_reaches_the_storage(media, dossier):
    item = ContentFile(pdf(), name="../../../tmp/evil.pdf")
    row = dossier_file_store(dossier=dossier, upload=item, kind=FileKind.DOCUMENT)
    assert row.original_name == "evil.pdf"
    assert "evil" not in row.file.name
    assert [p.name for p in stored_files(media)] == [row.file.name.rsplit("/", 1)[-1]]


def test_the_same_file_twice_gets_two_names(media, dossier):
    first = dossier_file_store(dossier=dossier, upload=upload(pdf()), kind=FileKind.DOCUMENT)
    second = dossier_file_store(dossier=dossier, upload=upload(pdf()), kind=FileKind.DOCUMENT)
    assert first.file.name != second.file.name
    assert first.sha256 == second.sha256
    assert len(stored_files(media)) == 2


def test_a_large_upload_on_disk_is_stored_and_hashed(media, dossier):
    data = pdf(b" /Padding (" + b"y" * 3_000_000 + b")")
    item = TemporaryUploadedFile("ho-so.pdf", "application/pdf", len(data), None)
    item.write(data)
    item.seek(0)
    row = dossier_file_store(dossier=dossier, upload=item, kind=FileKind.SUPPLEMENT)
    assert row.sha256 == hashlib.sha256(data).hexdigest() and row.size == len(data)
    with dossier_file_open(row) as handle:
        assert handle.read() == data
    item.close()  # the storage moved the temporary file; closing must not fail


def test_a_refused_upload_stores_nothing(media, dossier):
    with pytest.raises(ValidationError):
        dossier_file_store(dossier=dossier, upload=upload(EXE), kind=FileKind.DOCUMENT)
    assert stored_files(media) == []
    assert not DossierFile.objects.exists()


def test_the_required_document_must_belong_to_the_procedure(media, dossier):
    other = factories.procedure()
    document = RequiredDocument.objects.create(procedure=other, order=1, name="Tờ khai")
    with pytest.raises(ValueError):
        dossier_file_store(
            dossier=dossier,
            upload=upload(pdf()),
            kind=FileKind.DOCUMENT,
            required_document=document,
        )
    own = RequiredDocument.objects.create(procedure=dossier.procedure, order=1, name="Tờ khai")
    row = dossier_file_store(
        dossier=dossier, upload=upload(pdf()), kind=FileKind.DOCUMENT, required_document=own
    )
    assert row.required_document == own


def test_an_unknown_kind_is_a_programming_error(media, dossier):
    with pytest.raises(ValueError):
        dossier_file_store(dossier=dossier, upload=upload(pdf()), kind="virus")


def test_a_stored_file_opens_for_streaming(media, dossier):
    data = jpeg()
    row = dossier_file_store(dossier=dossier, upload=upload(data, "a.jpg"), kind="document")
    handle = dossier_file_open(row)
    try:
        assert b"".join(iter(lambda: handle.read(3), b"")) == data
    finally:
        handle.close()


def test_a_generated_pdf_is_stored(media, dossier):
    content = pdf()
    row = generated_file_store(
        dossier=dossier,
        kind=FileKind.RECEIPT,
        name="Giấy tiếp nhận.pdf",
        content=content,
        content_type="application/pdf",
    )
    row.refresh_from_db()
    assert _STORED_NAME.match(row.file.name)
    assert row.original_name == "Giấy tiếp nhận.pdf"
    assert row.sha256 == hashlib.sha256(content).hexdigest() and row.size == len(content)
    with dossier_file_open(row) as handle:
        assert handle.read() == content
