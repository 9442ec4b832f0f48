"""Benchmark CivicPort: start the production server on a scratch database, drive each URL
with wrk, print one JSON object on stdout (progress goes to stderr).

    .venv/bin/python bench/run.py                         # SQLite, the "default" URL list
    .venv/bin/python bench/run.py --database postgres     # a fresh PostgreSQL database
    .venv/bin/python bench/run.py --urls /healthz '/api/v1/calendar/due?start=2025-01-02'

See bench/README.md for what the figures mean and how to add a URL list.
"""

import argparse
import json
import os
import re
import sys
import tomllib
from datetime import UTC, datetime

import harness

URL_LISTS = harness.BENCH_DIR / "urls.toml"


def seconds(text: str) -> int:
    """'10s', '2m' or '10' -> seconds (wrk's own duration syntax, minus hours)."""
    match = re.fullmatch(r"(\d+)([sm]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration like 10s or 1m: {text!r}")
    return int(match[1]) * (60 if match[2] == "m" else 1)


def parse_args(argv, default_list):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    urls = parser.add_mutually_exclusive_group()
    urls.add_argument("--urls", nargs="+", metavar="PATH", help="paths to measure, e.g. /healthz")
    urls.add_argument(
        "--list", default=default_list, help=f"a URL list from urls.toml (default: {default_list})"
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres", "postgresql"],
        # DATABASE_URL names the PostgreSQL server to use (its database is left alone).
        default="postgresql"
        if os.environ.get("DATABASE_URL", "").startswith("postgres")
        else "sqlite",
    )
    parser.add_argument("--duration", type=seconds, default=10, help="per URL (default 10s)")
    parser.add_argument("--warmup", type=seconds, default=2, help="per URL, discarded (2s)")
    parser.add_argument("--connections", type=int, default=16, help="open connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (2)")
    parser.add_argument(
        "--server-cmd",
        default="serve",
        metavar="CMD",
        help="'serve' (civicport serve), 'granian' (granian directly) or a command template "
        "with {bin} {host} {port} {workers}",
    )
    parser.add_argument("--seed-scale", type=int, default=1, help="seed --demo --scale N (1)")
    parser.add_argument("--start-timeout", type=seconds, default=60, help="wait for /healthz (60s)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the data directory and PostgreSQL database"
    )
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if args.duration < 1:
        parser.error("--duration must be at least 1s")
    return args


def url_list(name: str) -> list[str]:
    lists = tomllib.loads(URL_LISTS.read_text())
    if name not in lists:
        raise harness.BenchError(f"no list {name!r} in {URL_LISTS} (have: {', '.join(lists)})")
    return lists[name]


def main(argv=None, default_list="default") -> int:
    """Run the bench; other scripts can call main(default_list="tourism")."""
    args = parse_args(argv, default_list)
    started = datetime.now(UTC)
    # Other work on the machine skews the figures: record how busy it was beforehand.
    load_before = os.getloadavg()[0]
    database = "sqlite" if args.database == "sqlite" else "postgresql"
    try:
        paths = args.urls or url_list(args.list)
        with harness.bench_server(
            database=database,
            server_cmd=args.server_cmd,
            workers=args.workers,
            database_url=os.environ.get("DATABASE_URL") if database == "postgresql" else None,
            keep=args.keep,
            start_timeout=args.start_timeout,
            seed_scale=args.seed_scale,
        ) as server:
            urls = harness.measure(
                server,
                paths,
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
                warmup=args.warmup,
            )
            described = server.describe()
    except harness.BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the server is already stopped by then
        print("bench interrupted", file=sys.stderr)
        return 130
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": harness.machine_info() | {"load_avg_1m_before": round(load_before, 2)},
        **described,
        "load_generator": f"{harness.wrk_version()}, threads={args.threads}",
        "note": "server and load generator share the machine's CPUs over loopback",
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "urls": urls,
    }
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if not args.no_save:
        harness.result_save(text, database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
