"""Operations-centre (IOC) performance on PostgreSQL, measured through HTTP with wrk.

    .venv/bin/python bench/ioc.py                       # the target: ~1 M dossiers, 200,000 reports
    .venv/bin/python bench/ioc.py --duration 5 --keep   # keep civicport_bench_ioc for the next run

The database `civicport_bench_ioc` is a COPY of `civicport_bench_ps` (made by
`bench/publicservices.py --scale 1700 --keep`, ~1.02 M dossiers), created with
`CREATE DATABASE … TEMPLATE civicport_bench_ps` (which needs nobody connected to it; the
source is never modified). Without that database, a fresh one is seeded with
`seed --demo --scale --fallback-scale` instead (far fewer dossiers: the report says so).

On the copy: migrate, feedback demo reports up to --feedback-reports (the feedback app's own
seeder at the scale that gives them), the IOC's reference and demo data, then ONE timed
refresh of the live indicators (`actions.indicators_refresh`: what the periodic task costs at
this size), VACUUM ANALYZE, each page once in-process with its cache emptied (the cost of
the first request after a data change), `civicport serve` (granian, 2 workers) and wrk on the wall screen,
its polled part, the JSON wall, each drill-down (the busiest agency, the 114-ward grid, the
month table) and the public page, as the demo IOC viewer (a real login). The pages read the
stored indicator values only, so their cost does not grow with the number of dossiers.

Prints ONE JSON object (machine, load averages, database rows, refresh time, every figure,
pass/fail against p95 ≤ 300 ms) and saves it in bench/results/.
"""

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import harness
import publicservices as psbench
from harness import BenchError, log

SOURCE_DATABASE = "civicport_bench_ps"
DATABASE = "civicport_bench_ioc"  # the only database this bench creates or drops
TARGET_P95_MS = 300
REPORTS_PER_FEEDBACK_SCALE = 300  # civicport.feedback.seeding.DEMO_REPORTS_PER_SCALE


def _exists(name: str) -> bool:
    from psycopg import sql

    return bool(psbench._admin(sql.SQL("SELECT 1 FROM pg_database WHERE datname = {}")
                               .format(sql.Literal(name)))[0])


def database_prepare(*, fresh: bool) -> tuple[str, str]:
    """(DATABASE_URL of the bench database, how it was made: reused / copied / empty)."""
    from psycopg import sql

    name = sql.Identifier(DATABASE)
    if fresh and _exists(DATABASE):
        psbench._admin(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))
    how = "reused"
    if not _exists(DATABASE):
        if _exists(SOURCE_DATABASE):
            busy = psbench._admin(sql.SQL(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = {}").format(
                sql.Literal(SOURCE_DATABASE)))[0][0][0]
            if busy:
                raise BenchError(f"{SOURCE_DATABASE} has {busy} connection(s): the copy needs "
                                 "it idle; try again later")
            log(f"copying {SOURCE_DATABASE} to {DATABASE} (template copy, source untouched)")
            psbench._admin(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                name, sql.Identifier(SOURCE_DATABASE)))
            how = "copied"
        else:
            psbench._admin(sql.SQL("CREATE DATABASE {}").format(name))
            how = "empty"
    url = urlsplit(psbench._admin_url())
    return url._replace(path=f"/{DATABASE}").geturl(), how


def database_drop() -> None:
    from psycopg import sql

    psbench._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(DATABASE)))
    log(f"dropped the PostgreSQL database {DATABASE}")


def seed(server, args, how: str) -> dict:
    """Reference data for every app, demo dossiers when the database started empty, feedback
    reports up to the target, the IOC's demo data; timed."""
    facts = {"database_made": how}
    began = time.monotonic()
    if how == "empty":
        log(f"no {SOURCE_DATABASE}: seeding --scale {args.fallback_scale} (fewer dossiers)")
        server.manage("seed", "--demo", "--scale", str(args.fallback_scale), timeout=3600)
    else:
        server.manage("seed")  # reference data of the apps added since the copy was made
    feedback = import_module("civicport.feedback.seeding")
    ioc = import_module("civicport.ioc.seeding")
    existing = psbench._sql("SELECT count(*) FROM feedback_report")[0][0]
    if existing < args.feedback_reports:
        scale = -(-args.feedback_reports // REPORTS_PER_FEEDBACK_SCALE)
        log(f"{existing} feedback reports: seeding the feedback demo at scale {scale}")
        facts["feedback_seed"] = feedback.demo(scale)
    facts["ioc_reference"] = ioc.reference()
    facts["ioc_demo"] = ioc.demo(1)  # the plan and reports (and a first refresh)
    facts["seed_s"] = round(time.monotonic() - began)
    log("VACUUM ANALYZE")
    psbench._sql("VACUUM ANALYZE")
    return facts


def refresh_timing() -> dict:
    """The periodic task's cost at this size: one full refresh, timed."""
    actions = import_module("civicport.ioc.actions")
    began = time.monotonic()
    result = actions.indicators_refresh(force=True)
    return {"refresh_s": round(time.monotonic() - began, 2), "values_stored": result["stored"],
            "missing_sources": result["missing"], "failed_sources": result["failed"]}


def cold_timings(paths: dict, repeat: int = 5) -> dict:
    """Each page rendered in this process with the fragment cache emptied first: what the
    first request after a data change costs (median of `repeat`, milliseconds)."""
    import statistics

    from django.core.cache import cache
    from django.test import Client

    from civicport.core.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="ioc"))
    timings = {}
    for label, path in paths.items():
        samples = []
        for _n in range(repeat):
            cache.clear()
            began = time.perf_counter()
            status = client.get(path).status_code
            samples.append((time.perf_counter() - began) * 1000)
            if status != 200:
                raise BenchError(f"in-process GET {path}: HTTP {status}")
        timings[label] = round(statistics.median(samples), 1)
    return timings


def database_facts() -> dict:
    counts = {name: psbench._sql(f"SELECT count(*) FROM {table}")[0][0] for name, table in (
        ("dossiers", "publicservices_dossier"), ("feedback_reports", "feedback_report"),
        ("indicator_values", "ioc_indicatorvalue"), ("plan_tasks", "ioc_plantask"),
        ("wards", "core_ward"))}
    counts["size"] = psbench._sql("SELECT pg_size_pretty(pg_database_size(current_database()))"
                                  )[0][0]
    return counts


def busiest_agency() -> str:
    """The agency with the most stored values: the heaviest drill-down."""
    return psbench._sql(
        "SELECT a.code FROM ioc_indicatorvalue v JOIN core_agency a ON a.id = v.agency_id "
        "GROUP BY a.code ORDER BY count(*) DESC, a.code LIMIT 1")[0][0]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feedback-reports", type=int, default=200_000)
    parser.add_argument("--fallback-scale", type=int, default=20)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-load", type=float, default=3.0)
    parser.add_argument("--load-wait", type=float, default=60)
    parser.add_argument("--keep", action="store_true", help=f"keep {DATABASE}")
    parser.add_argument("--fresh", action="store_true", help=f"drop {DATABASE} first")
    parser.add_argument("--no-save", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    load_at_start = os.getloadavg()
    harness._exit_on_sigterm()
    data_dir = Path(tempfile.mkdtemp(prefix="civicport-bench-ioc-"))
    server = None
    try:
        db_url, how = database_prepare(fresh=args.fresh)
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
            "CIVICPORT_DATA_DIR": str(data_dir), "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": db_url,
        }
        server = harness.Server(database="postgresql", env=env, data_dir=data_dir, keep=False,
                                port=harness._free_port())
        server.drop_database = None if args.keep else database_drop
        server.manage("migrate", "--noinput")
        server.manage("collectstatic", "--noinput")
        psbench.django_setup(env)
        seeding = seed(server, args, how)
        refresh = refresh_timing()
        facts = database_facts()
        server.seeded = True
        psbench.start_server(server, args.workers, 60)
        from civicport.core.seeding import DEMO_PASSWORD

        cookie = psbench.officer_login(server.port, "ioc", DEMO_PASSWORD)
        agency = busiest_agency()
        paths = {
            "wall": "/dieu-hanh/tuong/",
            "wall_poll": "/dieu-hanh/tuong/noi-dung/",
            "wall_json": "/api/v1/ioc/wall",
            "drill_agency": f"/dieu-hanh/don-vi/{agency}/",
            "drill_wards": "/dieu-hanh/phuong-xa/?chi-so=FB-01",
            "drill_months": "/dieu-hanh/thang/",
            "agency_json": f"/api/v1/ioc/agencies/{agency}",
            "public": "/dieu-hanh/",
        }
        headers = {"Cookie": cookie}
        cold = cold_timings(paths)
        log(f"cold (uncached) render, ms: {cold}")
        measurements = {}
        for label, path in paths.items():
            psbench.expect_status(server.port, path, headers)
            measurements[label] = {"path": path, **psbench.wrk_run(
                server, args, label, path, headers=[f"Cookie: {cookie}"])}
        described = server.describe()
    except BenchError as exc:
        log(f"FAILED: {exc}")
        if server is not None:
            log(server.log_tail())
        return 1
    finally:
        if server is not None:
            harness.stop_server(server)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    report = {
        "bench": "ioc",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": harness.machine_info() | {
            "load_avg_at_start": [round(x, 2) for x in load_at_start],
            "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        **described,
        "seeding": seeding,
        "database": facts,
        "refresh": refresh,
        "load_generator": f"{harness.wrk_version()}, threads={args.threads}, "
                          f"connections={args.connections}",
        "note": "server, PostgreSQL and wrk share the machine's CPUs over loopback; other "
                "engineers' tests ran on the same machine",
        "duration_s": args.duration,
        "cold_render_ms": cold,
        "measurements": measurements,
    }
    report["targets"] = {
        label: {"p95_ms": m["p95_ms"], "target_ms": TARGET_P95_MS,
                "pass": m["p95_ms"] <= TARGET_P95_MS and not m["non_2xx"]}
        for label, m in measurements.items()
    }
    report["all_pass"] = all(t["pass"] for t in report["targets"].values())
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
    print(text)
    if not args.no_save:
        harness.result_save(text, "ioc")
    return 0


if __name__ == "__main__":
    sys.exit(main())
