"""Datahub performance: warehouse ingest, a 1,000,000-row CSV, datastore_search and
package_search through HTTP.

    .venv/bin/python bench/datahub.py --rows 50000 --duration 5        # develop
    .venv/bin/python bench/datahub.py                                   # the targets

In one run, on a scratch SQLite database (or --database postgresql) started by the harness:

1. the city's warehouse: 100 CSV files totalling 1,941 fields and 437,000 rows (70 UTF-8,
   10 UTF-8 with BOM, 10 Windows-1258, 5 TCVN3, 5 VNI) loaded end to end with
   `civicport datahub_import` (encoding repair, schema, validation, Parquet, publish);
2. one CSV of --rows rows (1,000,000 ≈ 500 MB, like XLoader #25's Boston 311 file): DuckDB's
   own `read_csv` → Parquet on the file first (the reference), then our ingest of the same
   file; throughput ratio = reference time / our time;
3. 805 metadata-only datasets more (1,000 in the catalogue), then with wrk through
   `civicport serve`: /healthz, `datastore_search` with a filter on the big table, and
   `package_search` (q + facets), each loaded (16 connections) and unloaded (1 connection).

Prints ONE JSON object (machine, load averages, figures, pass/fail per target) and saves it
in bench/results/.
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import harness
from harness import log

sys.path.insert(0, str(harness.BENCH_DIR.parent))
from civicport.datahub.encodings import encode_cp1258, encode_tcvn3, encode_vni

WAREHOUSE_DATASETS, WAREHOUSE_FIELDS, WAREHOUSE_ROWS = 100, 1941, 437_000
TARGETS = {"big_ingest_s": 30.0, "throughput_ratio": 0.30, "datastore_search_p95_ms": 50.0,
           "package_search_p95_ms": 50.0}
WARDS = ["Phường Hồng Bàng", "Phường Lê Chân", "Phường Ngô Quyền", "Phường Kiến An",
         "Xã Kiến Thụy", "Phường Thủy Nguyên", "Phường Đồ Sơn", "Xã Tiên Lãng", "Xã Vĩnh Bảo",
         "Đặc khu Cát Hải", "Phường Hải Dương", "Phường Chí Linh", "Xã Thanh Hà", "Xã An Lão",
         "Phường Dương Kinh", "Phường An Biên", "Xã Kim Thành", "Phường Hải An"]
CATEGORIES = ["Đường hư hỏng", "Đèn chiếu sáng", "Rác thải", "Cây xanh", "Thoát nước",
              "Lấn chiếm vỉa hè", "Tiếng ồn", "Trật tự đô thị"]
STATUSES = ["Đã tiếp nhận", "Đang xử lý", "Đã giải quyết", "Chuyển cơ quan khác"]


def _cell(rng: random.Random, kind: str, row: int) -> str:
    if kind == "int":
        return str(rng.randint(0, 99999))
    if kind == "vnum":
        return f"{rng.randint(1000, 9_999_999):,}".replace(",", ".")
    if kind == "date":
        return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2015, 2025)}"
    if kind == "ward":
        return WARDS[(row * 7 + rng.randint(0, 3)) % len(WARDS)]
    return rng.choice(CATEGORIES)


def warehouse(directory: Path) -> dict:
    """100 CSV files whose fields sum to 1,941 and rows to 437,000, in five encodings."""
    rng = random.Random(5)
    fields = [WAREHOUSE_FIELDS // WAREHOUSE_DATASETS] * WAREHOUSE_DATASETS
    for i in range(WAREHOUSE_FIELDS - sum(fields)):
        fields[i] += 1
    weights = [rng.uniform(0.2, 3) for _ in range(WAREHOUSE_DATASETS)]
    rows = [int(WAREHOUSE_ROWS * w / sum(weights)) for w in weights]
    rows[0] += WAREHOUSE_ROWS - sum(rows)
    encodings = ["utf-8"] * 70 + ["utf-8-sig"] * 10 + ["cp1258"] * 10 + ["tcvn3"] * 5 + \
        ["vni"] * 5
    kinds_cycle = ["ward", "text", "int", "vnum", "date"]
    for index in range(WAREHOUSE_DATASETS):
        kinds = [kinds_cycle[(index + c) % len(kinds_cycle)] for c in range(fields[index])]
        header = ",".join(f"Cột {c + 1} {k}" for c, k in enumerate(kinds))
        lines = [header]
        for r in range(rows[index]):
            lines.append(",".join(_cell(rng, k, r) for k in kinds))
        text = "\n".join(lines) + "\n"
        encoding = encodings[index]
        data = {"utf-8": str.encode, "utf-8-sig": lambda t: t.encode("utf-8-sig"),
                "cp1258": encode_cp1258, "tcvn3": encode_tcvn3, "vni": encode_vni}[encoding](text)
        (directory / f"kho-{index:03d}-{encoding}.csv").write_bytes(data)
    return {"datasets": WAREHOUSE_DATASETS, "fields": sum(fields), "rows": sum(rows)}


def big_csv(path: Path, rows: int) -> int:
    """A 311-like CSV of `rows` rows, about 500 bytes each."""
    rng = random.Random(1)
    templates = []
    for t in range(2000):
        ward = WARDS[t % len(WARDS)]
        description = (f"Người dân phản ánh {rng.choice(CATEGORIES).lower()} tại {ward}, "
                       "đề nghị cơ quan chức năng kiểm tra, xử lý sớm để bảo đảm an toàn giao "
                       "thông và vệ sinh môi trường khu dân cư; đã gọi điện nhiều lần nhưng "
                       "chưa được giải quyết dứt điểm, mong được phản hồi.")
        templates.append(",".join([
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2024", ward,
            rng.choice(CATEGORIES), rng.choice(STATUSES), f"\"{description}\"",
            f"Số {rng.randint(1, 300)} đường {rng.choice(['Lạch Tray', 'Trần Phú', 'Lê Lợi'])}",
            f"{20.7 + rng.random() * 0.3:.6f}", f"{106.5 + rng.random() * 0.4:.6f}",
            f"{rng.randint(10_000, 90_000_000):,}".replace(",", "."),
        ]))
    header = ("Mã phản ánh,Ngày tiếp nhận,Phường xã,Lĩnh vực,Trạng thái,Nội dung,Địa chỉ,"
              "Vĩ độ,Kinh độ,Kinh phí xử lý (đồng)\n")
    with open(path, "w", encoding="utf-8") as out:
        out.write(header)
        batch = []
        for i in range(rows):
            batch.append(f"{i + 1},{templates[(i * 7919) % len(templates)]}\n")
            if len(batch) >= 20000:
                out.write("".join(batch))
                batch = []
        out.write("".join(batch))
    return path.stat().st_size


def duckdb_reference(path: Path, out: Path) -> float:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {max(1, min(os.cpu_count() or 1, 4))}")
    started = time.perf_counter()
    con.execute(f"COPY (SELECT * FROM read_csv('{path}')) TO '{out}' (FORMAT parquet)")
    elapsed = time.perf_counter() - started
    con.close()
    out.unlink(missing_ok=True)
    return elapsed


def more_datasets(server, count: int) -> None:
    code = (
        "from civicport.core.models import Agency\n"
        "from civicport.datahub import actions\n"
        "deps = list(Agency.objects.filter(kind='department').order_by('code'))\n"
        f"for i in range({count}):\n"
        "    actions.dataset_create(slug=f'bo-du-lieu-danh-muc-{i}', "
        "title=f'Danh mục dữ liệu số {i} về hạ tầng đô thị', publisher=deps[i % len(deps)], "
        "description='Bộ dữ liệu danh mục phục vụ đo hiệu năng tìm kiếm', "
        "tags=['hạ tầng', f'nhóm {i % 20}'], access='open' if i % 2 else 'shared', "
        "check_permission=False)\n"
    )
    server.manage("shell", "-c", code, timeout=1800)


def load_averages() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(args) -> dict:
    summary = {"bench": "datahub", "started": datetime.now(UTC).isoformat(),
               "machine": harness.machine_info(), "load_before": load_averages(),
               "shared_machine": True}
    work = Path(tempfile.mkdtemp(prefix="datahub-bench-"))
    try:
        return _run(args, summary, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(args, summary: dict, work: Path) -> dict:
    with harness.bench_server(database=args.database, workers=args.workers,
                              keep=False) as server:
        summary["server"] = server.describe()
        wh_dir = work / "warehouse"
        wh_dir.mkdir()
        started = time.perf_counter()
        summary["warehouse"] = warehouse(wh_dir)
        summary["warehouse"]["generate_s"] = round(time.perf_counter() - started, 1)
        log("warehouse files written; ingesting")
        started = time.perf_counter()
        report = json.loads(server.manage("datahub_import", str(wh_dir), "--json",
                                          timeout=3600).strip().splitlines()[-1])
        wall = time.perf_counter() - started
        summary["warehouse"].update({
            "ingest_wall_s": round(wall, 1), "ingest_in_process_s": report["seconds"],
            "published": len(report["files"]), "errors": report["errors"][:3],
            "rows_published": sum(f["rows"] for f in report["files"]),
            "fields_published": sum(f["fields"] for f in report["files"]),
            "encodings": sorted({f["encoding"] for f in report["files"]}),
        })
        log(f"warehouse: {summary['warehouse']}")

        big = work / "phan-anh-311.csv"
        size = big_csv(big, args.rows)
        ref = duckdb_reference(big, work / "reference.parquet")
        log(f"big CSV {size / 1e6:.0f} MB; DuckDB read_csv → Parquet {ref:.1f} s")
        started = time.perf_counter()
        big_report = json.loads(server.manage("datahub_import", str(big), "--json",
                                              timeout=3600).strip().splitlines()[-1])
        wall = time.perf_counter() - started
        entry = big_report["files"][0]
        summary["big_csv"] = {
            "rows": entry["rows"], "bytes": size, "duckdb_reference_s": round(ref, 2),
            "ingest_s": entry["seconds"], "search_index_s": entry["search_seconds"],
            "ingest_wall_s": round(wall, 2),
            "throughput_ratio": round(ref / entry["seconds"], 3),
            "anchor_xloader_s": 206,
        }
        log(f"big CSV: {summary['big_csv']}")
        big.unlink()

        more_datasets(server, args.more_datasets)
        rid = entry["resource_id"]
        search_path = "/api/3/action/datastore_search?" + urlencode({
            "resource_id": rid, "filters": json.dumps({"phuong_xa": "Xã Kiến Thụy"},
                                                      ensure_ascii=False), "limit": 20})
        package_path = "/api/3/action/package_search?" + urlencode({
            "q": "du lieu ha tang", "rows": 10,
            "facet.field": json.dumps(["organization", "tags", "res_format"])})
        paths = ["/healthz", search_path, package_path]
        loaded = harness.measure(server, paths, duration=args.duration,
                                 connections=args.connections, threads=2,
                                 warmup=args.warmup)
        unloaded = harness.measure(server, paths[1:], duration=args.duration, connections=1,
                                   threads=1, warmup=1)
        summary["http"] = {
            "healthz": loaded["/healthz"],
            "datastore_search": {"loaded": loaded[search_path],
                                 "unloaded": unloaded[search_path], "path": search_path},
            "package_search": {"loaded": loaded[package_path],
                               "unloaded": unloaded[package_path], "path": package_path},
            "datasets_in_catalogue": 1000 if args.more_datasets == 805 else None,
        }
    summary["load_after"] = load_averages()
    summary["targets"] = {
        "big_ingest_s <= 30": summary["big_csv"]["ingest_s"] <= TARGETS["big_ingest_s"],
        "throughput >= 30% of DuckDB": summary["big_csv"]["throughput_ratio"]
        >= TARGETS["throughput_ratio"],
        "datastore_search p95 <= 50 ms (unloaded)":
            summary["http"]["datastore_search"]["unloaded"]["p95_ms"] <= 50,
        "package_search p95 <= 50 ms (unloaded)":
            summary["http"]["package_search"]["unloaded"]["p95_ms"] <= 50,
    }
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the big CSV")
    parser.add_argument("--more-datasets", type=int, default=805,
                        help="metadata-only datasets added (805 → 1,000 in the catalogue)")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    return harness.run_and_report(run, args, "datahub", save=not args.no_save, indent=None)


if __name__ == "__main__":
    sys.exit(main())
