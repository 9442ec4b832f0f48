"""The ingest pipeline: encodings end up identical, errors by row and column, bad input
refused with nothing published, atomic publishing, streaming large files."""

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from civicport.datahub import actions, engine, ingest, storage
from civicport.datahub.models import Dataset, IngestJob, Resource, Version
from civicport.datahub.tests.factories import WARDS_HEADER, WARDS_ROWS, encoded, table_text

pytestmark = pytest.mark.django_db


def _resource(department, slug="bang"):
    dataset = actions.dataset_create(slug=slug, title=slug, publisher=department,
                                     check_permission=False)
    return actions.resource_create(dataset=dataset, name="Bảng")


def _upload(resource, content: bytes, filename="bang.csv", actor=None) -> IngestJob:
    path, size = ingest.save_upload([content], filename)
    return actions.ingest_job_create(resource=resource, upload=path, filename=filename,
                                     size=size, actor=actor, run_now=True)


def _rows(version):
    return engine.rows_search(path=version.path, schema=version.schema, limit=100)["records"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1258", "tcvn3", "vni"])
def test_same_table_in_every_encoding_ends_up_identical(department, encoding):
    reference = _upload(_resource(department, "goc"), encoded(table_text(), "utf-8"))
    job = _upload(_resource(department, f"bang-{encoding.replace('-', '')}"),
                  encoded(table_text(), encoding))
    assert job.status == IngestJob.Status.DONE, job.errors or job.message
    assert job.version.encoding.split("+")[0] == encoding
    assert job.version.schema == reference.version.schema
    assert [f["title"] for f in job.version.schema["fields"]] == WARDS_HEADER
    assert _rows(job.version) == _rows(reference.version)
    hits = [engine.rows_search(path=job.version.path, schema=job.version.schema, q=q)["records"]
            for q in ("Thủy Nguyên", "thuy nguyen", "THUY NGUYEN")]
    assert hits[0] == hits[1] == hits[2] and len(hits[0]) == 1
    # Same content: the same immutable file.
    assert job.version.content_hash == reference.version.content_hash


def test_excel_text_in_legacy_fonts_is_repaired(department):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in [WARDS_HEADER, *WARDS_ROWS]:
        # TCVN3 text as Excel shows it with a .VnTime font: cp1252 characters.
        sheet.append([encoded(c, "tcvn3").decode("latin-1") for c in row])
    path = storage.scratch(".xlsx")
    book.save(path)
    job = _upload(_resource(department), path.read_bytes(), "bang.xlsx")
    assert job.status == IngestJob.Status.DONE, job.errors or job.message
    assert [r["ten_phuong"] for r in _rows(job.version)][:2] == ["Phường Hồng Bàng",
                                                                  "Phường Lê Chân"]


def test_type_errors_and_ragged_rows_are_listed_by_row_and_column(department):
    resource = _resource(department)
    good = _upload(resource, encoded(table_text(), "utf-8"))
    rows = [list(r) for r in WARDS_ROWS * 4]
    rows[1][2] = "nhiều"          # population must be a number
    rows[3][4] = "31/02/2025"     # no such date
    rows.append(["31140", "Phường Thiếu Cột"])  # ragged
    bad = _upload(resource, table_text(rows=rows).encode())
    assert bad.status == IngestJob.Status.INVALID
    found = {(e["row"], e["column"]) for e in bad.errors}
    assert (2, "Dân số") in found and (4, "Ngày thành lập") in found
    assert any(e["row"] == 21 for e in bad.errors)
    assert next(e["message"] for e in bad.errors if e["row"] == 2) == (
        "“nhiều” không phải số nguyên hợp lệ.")
    resource.refresh_from_db()
    assert resource.current_version == good.version
    assert Version.objects.filter(resource=resource).count() == 1


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"", "rong.csv", "không có nội dung"),
    (b"   \n\n", "rong.csv", "không có nội dung"),
    ("Mã,Tên\n".encode(), "chi-dau.csv", "không có dòng"),
    (b"PK\x03\x04 not a zip", "hong.xlsx", "XLSX"),
    (b"[1, 2, 3]", "sai.json", "JSON"),
])
def test_bad_files_are_refused_with_a_message(department, content, filename, message):
    resource = _resource(department)
    job = _upload(resource, content, filename)
    assert job.status == IngestJob.Status.INVALID
    assert message in job.message
    assert not Version.objects.exists()


def test_xlsx_zip_bomb_is_refused_before_opening(department, monkeypatch):
    path = storage.scratch(".xlsx")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))
    monkeypatch.setattr(ingest, "XLSX_MAX_UNCOMPRESSED", 10 * 1024 * 1024)
    job = _upload(_resource(department), path.read_bytes(), "bom.xlsx")
    assert job.status == IngestJob.Status.INVALID and "không an toàn" in job.message


def test_upload_past_the_limit_is_refused_while_streaming(settings):
    settings.CIVICPORT_DATAHUB_MAX_UPLOAD_BYTES = 1024 * 1024
    chunks = (b"x" * 65536 for _ in range(10**6))  # would be 64 GB if read to the end
    with pytest.raises(ingest.IngestError, match="1 MB"):
        ingest.save_upload(chunks, "lon.csv")
    assert not list(storage.area("uploads").iterdir())


def test_a_crash_before_the_pointer_flip_leaves_the_previous_version(department, monkeypatch):
    resource = _resource(department)
    first = _upload(resource, encoded(table_text(), "utf-8")).version

    def crash(resource):
        raise RuntimeError("killed")

    monkeypatch.setattr(actions, "_before_publish", crash)
    with pytest.raises(RuntimeError):
        _upload(resource, table_text(rows=WARDS_ROWS[:2]).encode())
    resource.refresh_from_db()
    assert resource.current_version == first
    assert Version.objects.count() == 1
    assert IngestJob.objects.filter(status=IngestJob.Status.FAILED).count() == 1
    assert _rows(resource.current_version) == _rows(first)
    assert not [p for p in storage.area("versions").iterdir() if p.name.startswith(".tmp")]


def test_large_file_streams_in_bounded_memory(department, monkeypatch):
    monkeypatch.setattr(ingest, "CHUNK", 64 * 1024)
    monkeypatch.setattr(ingest, "SAMPLE_ROWS", 200)
    warm = storage.scratch(".csv")  # first call loads translations and modules
    warm.write_text("Tên,Số\nA,1\n", encoding="utf-8")
    ingest.prepare_table(warm, "nho.csv").parquet.unlink()
    path = storage.scratch(".csv")
    line = "Phường Hồng Bàng,1.234.567,12/05/2025,ghi chú dài " + "x" * 60 + "\n"
    with open(path, "w", encoding="utf-8") as out:
        out.write("Tên,Dân số,Ngày,Ghi chú\n")
        for _ in range(300_000):
            out.write(line)
    size = path.stat().st_size
    assert size > 25 * 1024 * 1024
    tracemalloc.start()
    prepared = ingest.prepare_table(path, "lon.csv")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert prepared.row_count == 300_000
    assert peak < 8 * 1024 * 1024, f"peak {peak} for a {size}-byte file"
    Path(prepared.parquet).unlink()


def test_legacy_file_is_transcoded_in_a_streaming_pass(department, monkeypatch):
    monkeypatch.setattr(ingest, "CHUNK", 1024)
    rows = WARDS_ROWS * 200
    job = _upload(_resource(department), encoded(table_text(rows=rows), "vni"))
    assert job.status == IngestJob.Status.DONE
    assert job.version.row_count == len(rows)
    assert engine.rows_search(path=job.version.path, schema=job.version.schema,
                              q="kien thuy")["total"] == 200


def test_a_new_version_records_its_difference(department):
    resource = _resource(department)
    _upload(resource, table_text().encode())
    rows = [list(r) for r in WARDS_ROWS[1:]] + [["31200", "Phường Mới", "10", "1", "01/01/2026"]]
    rows[0][2] = "99.999"
    job = _upload(resource, table_text(rows=rows).encode())
    assert job.version.diff["added"] == 1
    assert job.version.diff["removed"] == 1
    assert job.version.diff["changed"] == 1
    assert job.version.number == 2
    assert Resource.objects.get(pk=resource.pk).current_version == job.version
    assert Dataset.objects.get(pk=resource.dataset_id).data_updated_at is not None


def test_search_sidecar_finds_the_same_rows_as_folding_on_the_fly(department, monkeypatch):
    resource = _resource(department)
    small = _upload(resource, table_text().encode()).version
    assert not engine.search_path(small.path).exists()  # small table: folded on the fly
    on_the_fly = [engine.rows_search(path=small.path, schema=small.schema, q=q)["records"]
                  for q in ("hong bang", "Đặc khu", "thuy")]
    monkeypatch.setattr(actions, "SEARCH_SIDECAR_MIN_ROWS", 1)
    actions.version_search_build(version=small)
    assert engine.search_path(small.path).exists()
    with_sidecar = [engine.rows_search(path=small.path, schema=small.schema, q=q)["records"]
                    for q in ("hong bang", "Đặc khu", "thuy")]
    assert with_sidecar == on_the_fly
    assert [len(r) for r in with_sidecar] == [1, 1, 2]
