"""Feedback 1022 performance targets on PostgreSQL, measured through HTTP with wrk.

    .venv/bin/python bench/feedback.py --scale 20      # develop: 6,000 reports over a year
    .venv/bin/python bench/feedback.py --scale 667     # the targets: ~200,000 reports

Scale: `seed --demo --scale N` holds 300 × N reports over the last min(365, 30 × N) days
(civicport/feedback/seeding.py). Prepares the PostgreSQL database `civicport_bench_feedback`
(migrate; the core reference data and demo accounts and the feedback demo at --scale — the
same seeders `seed --demo` runs, without the other apps; VACUUM ANALYZE), starts `civicport serve` (granian, DEBUG off, 2 workers) and measures, each also over
ONE connection ("unloaded": the time to serve one request; 16 connections measure a saturated
server whose p95 is mostly queueing):

1. `/healthz`, the floor;
2. Open311 `GET /open311/v2/requests.json` with the spec's defaults (last 90 days, first
   1,000 requests), and a filtered one (service_code + status + dates, 100 per page);
3. the whole city's map data `/phan-anh/ban-do/du-lieu.json` (open reports, compact rows,
   gzip as browsers ask for it);
4. new reports through HTTP: Open311 POST with the demo API key (bench/feedback_post.lua);
   the database must hold exactly as many new reports as answers 200;
5. in-process (a fresh Python process): classifier suggestion per report (mean and p95 over
   the labelled set) and `queries.feedback_summary` for a year (first call, median of 5).

Prints ONE JSON object (machine, load averages, rows, figures, pass/fail) and saves it in
bench/results/. The machine may be shared: the load averages say how busy it was.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime

import harness
from harness import BenchError, log

DATABASE = "civicport_bench_feedback"  # the only database this bench creates or drops
POST_LUA = harness.BENCH_DIR / "feedback_post.lua"
DEMO_KEY = "o311_demo_HaiPhong2025"
TARGETS = {"open311_requests_p95_ms": 50, "map_p95_ms": 100, "reports_per_s": 100,
           "classifier_ms": 20, "summary_year_ms": 150}
IN_PROCESS = """
import json, statistics, time, datetime
from civicport.feedback import classifier, queries
texts = [t for _c, t in classifier.labelled_rows()]
classifier.suggest(texts[0])
times = []
for t in texts:
    s = time.perf_counter(); classifier.suggest(t); times.append((time.perf_counter() - s) * 1000)
times.sort()
end = datetime.date.today(); start = end - datetime.timedelta(days=364)
s = time.perf_counter(); result = queries.feedback_summary(start=start, end=end)
first = (time.perf_counter() - s) * 1000
runs = []
for _ in range(5):
    s = time.perf_counter(); queries.feedback_summary(start=start, end=end)
    runs.append((time.perf_counter() - s) * 1000)
print("INPROC", json.dumps({"classifier_mean_ms": round(statistics.mean(times), 2),
      "classifier_p95_ms": round(times[int(len(times) * 0.95)], 2), "texts": len(times),
      "summary_year_first_ms": round(first, 1),
      "summary_year_median_ms": round(statistics.median(runs), 1),
      "summary_total": result["total"]}))
"""


def _psql(server, statement: str) -> None:
    import psycopg

    with psycopg.connect(server.env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(statement)


def _count(server) -> int:
    out = server.manage("shell", "-c", "from civicport.feedback.models import Report; "
                        "print('COUNT', Report.objects.count())")
    return int(next(ln for ln in out.splitlines() if ln.startswith("COUNT ")).split()[1])


def _both(server, path: str, duration: int, headers=()) -> tuple[dict, dict]:
    url = server.url(path)
    harness.run_wrk(url, 2, 16, 2, headers=headers)
    loaded = harness.run_wrk(url, duration, 16, 2, headers=headers)
    unloaded = harness.run_wrk(url, duration, 1, 1, headers=headers)
    log(f"{path}: p95 {loaded['p95_ms']} ms loaded, {unloaded['p95_ms']} ms unloaded")
    return loaded, unloaded


SEED = """
from django.db import transaction
from civicport.core import seeding as core
from civicport.feedback import seeding as feedback
with transaction.atomic():
    core.reference(); core.demo(1); feedback.reference()
print('SEEDED', feedback.demo({scale}))
"""


def _skip_full_seed() -> None:
    """Seed only what this bench needs (core, feedback) instead of every app's `seed --demo`:
    quicker, and independent of other apps' demo data."""
    original = harness.Server.command_help

    def command_help(self, name):
        return None if name == "seed" else original(self, name)

    harness.Server.command_help = command_help


def run(args) -> dict:
    harness.PG_DATABASE = DATABASE
    _skip_full_seed()
    started = time.monotonic()
    with harness.bench_server(database="postgresql", workers=2) as server:
        seed_started = time.monotonic()
        out = server.manage("shell", "-c", SEED.format(scale=args.scale), timeout=3600)
        seed_s = round(time.monotonic() - seed_started, 1)
        log(next((ln for ln in out.splitlines() if ln.startswith("SEEDED")), out[-300:]))
        _psql(server, "VACUUM ANALYZE")
        # The stored model, as in production (`feedback_train` after deploy); otherwise each
        # server process would train one at its first report.
        log(server.manage("feedback_train", "--labelled-only").strip())
        rows = _count(server)
        now = datetime.now(UTC)
        filtered = ("/open311/v2/requests.json?service_code=chieu-sang,rac-thai&status=open"
                    f"&start_date={(now.replace(day=1)).strftime('%Y-%m-%dT00:00:00Z')}"
                    f"&end_date={now.strftime('%Y-%m-%dT%H:%M:%SZ')}&page_size=100")
        paths = ["/open311/v2/requests.json", filtered, "/phan-anh/ban-do/du-lieu.json",
                 "/open311/v2/services.json"]
        for path in paths:
            if harness._get(server.port, path, timeout=60) != 200:
                raise BenchError(f"{path} does not answer 200")
        map_bytes = len(harness.get_body(server.port, "/phan-anh/ban-do/du-lieu.json"))
        figures: dict = {}
        load = {"before": os.getloadavg()}
        figures["healthz"] = harness.measure(server, ["/healthz"], duration=args.duration)[
            "/healthz"]
        # HTTP clients (browsers, python-requests, the georeport client) ask for gzip.
        gz = ["Accept-Encoding: gzip"]
        figures["open311_requests"], figures["open311_requests_unloaded"] = _both(
            server, paths[0], args.duration, gz)
        figures["open311_requests_identity"] = harness.run_wrk(
            server.url(paths[0]), args.duration, 16, 2)
        figures["open311_filtered"], figures["open311_filtered_unloaded"] = _both(
            server, filtered, args.duration, gz)
        figures["map"], figures["map_unloaded"] = _both(server, paths[2], args.duration, gz)
        before = _count(server)
        figures["post_reports"] = harness.run_wrk(
            server.url("/open311/v2/requests.json"), args.duration, 8, 2, script=POST_LUA,
            script_args=[DEMO_KEY])
        created = _count(server) - before
        post = figures["post_reports"]
        accepted = post["requests"] - post["non_2xx"]
        figures["post_reports"].update(created=created, accepted=accepted,
                                       created_per_s=round(created / args.duration, 1))
        if created != accepted:
            log(f"WARNING {accepted} answers 200 but {created} new rows")
        inproc = server.manage("shell", "-c", IN_PROCESS, timeout=600)
        figures["in_process"] = json.loads(next(
            ln for ln in inproc.splitlines() if ln.startswith("INPROC ")).removeprefix("INPROC "))
        load["after"] = os.getloadavg()
    checks = {
        "open311_requests_p95_ms": figures["open311_requests"]["p95_ms"]
        <= TARGETS["open311_requests_p95_ms"],
        "map_p95_ms": figures["map"]["p95_ms"] <= TARGETS["map_p95_ms"],
        "reports_per_s": figures["post_reports"]["created_per_s"] >= TARGETS["reports_per_s"],
        "classifier_ms": figures["in_process"]["classifier_p95_ms"] <= TARGETS["classifier_ms"],
        "summary_year_ms": figures["in_process"]["summary_year_median_ms"]
        <= TARGETS["summary_year_ms"],
    }
    return {
        "bench": "feedback", "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql", "scale": args.scale, "reports": rows, "seed_s": seed_s,
        "map_bytes_identity": map_bytes, "machine": harness.machine_info(),
        "load_average": load, "targets": TARGETS, "figures": figures, "pass": checks,
        "total_s": round(time.monotonic() - started, 1),
        "note": "shared machine: other engineers' tests may have been running",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=667, help="300 reports per step")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    args = parser.parse_args()
    return harness.run_and_report(run, args, "feedback")


if __name__ == "__main__":
    sys.exit(main())
