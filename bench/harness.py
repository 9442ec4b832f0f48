"""Benchmark harness: CivicPort's production server on a scratch database, driven by wrk.

Other benches reuse these functions (run them as scripts from bench/, so `harness` imports):

    from harness import bench_server, measure

    with bench_server(database="sqlite") as server:    # or "postgresql"
        server.manage("loaddata", "my-fixture.json")   # any civicport command, same env
        results = measure(server, ["/healthz", "/"], duration=10)

Everything runs on 127.0.0.1 only. Logs go to stderr; results are returned, not printed.
"""

import http.client
import json
import os
import platform
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

HOST = "127.0.0.1"  # the bench never binds or targets any other address
BENCH_DIR = Path(__file__).resolve().parent
REPORT_LUA = BENCH_DIR / "report.lua"
# The venv that runs the harness also holds civicport and granian (not resolved: a venv's
# python is a symlink to the system interpreter, whose bin/ has neither).
VENV_BIN = Path(sys.executable).parent
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "civicport_bench"  # the only database the harness ever drops

# --server-cmd accepts one of these names or a template with the same placeholders.
SERVER_PRESETS = {
    "serve": "{bin}/civicport serve --host {host} --port {port}",
    "granian": (
        "{bin}/granian --interface wsgi --host {host} --port {port} --workers {workers} "
        "civicport.wsgi:application"
    ),
}


class BenchError(Exception):
    """A failure with a message meant for the person running the bench."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Server:
    database: str  # "sqlite" | "postgresql"
    env: dict
    data_dir: Path
    keep: bool = False
    port: int = 0
    command: list[str] = field(default_factory=list)
    seeded: bool = False
    seed_scale: int | None = None
    process: subprocess.Popen | None = None
    drop_database: Callable[[], None] | None = None  # set once the PostgreSQL db exists

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def manage(self, *args: str, timeout: float = 900) -> str:
        """Run a `civicport` management command against the bench database; its stdout."""
        log("$ civicport " + shlex.join(args))
        done = subprocess.run(
            [str(VENV_BIN / "civicport"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise BenchError(f"`civicport {shlex.join(args)}` failed:\n{_tail(done.stderr)}")
        return done.stdout

    def command_help(self, name: str) -> str | None:
        """`civicport help NAME`, or None when this checkout has no such command yet."""
        done = subprocess.run(
            [str(VENV_BIN / "civicport"), "help", name],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1:] or ["no output"]
            log(f"`civicport help {name}` failed: {last[0]}")
            return None
        return done.stdout

    def log_tail(self, lines: int = 30) -> str:
        try:
            return _tail(self.log_path.read_text(errors="replace"), lines) or "(empty log)"
        except OSError:
            return "(no server log)"

    def describe(self) -> dict:
        """What ran, for the report; the worker count is read from granian's own log."""
        log_text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        workers = {
            line.split()[2]
            for line in log_text.splitlines()
            if line.startswith("[INFO] Spawning worker-")
        }
        return {
            "database": self.database,
            "seeded": self.seeded,
            "seed_scale": self.seed_scale,
            "server": f"granian {version('granian')} (WSGI, DEBUG off): "
            + shlex.join([Path(self.command[0]).name, *self.command[1:]]),
            "server_workers": len(workers) or None,
        }


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _exit_on_sigterm() -> None:
    # Turn `kill` into SystemExit so the finally blocks stop the server and drop the database
    # (Ctrl-C already raises KeyboardInterrupt).
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


def _postgres_database(server: Server, database_url: str | None) -> None:
    """Create a fresh database on the PostgreSQL server named by database_url.

    Only the address and credentials of database_url are used: the bench works in its own
    database, dropped first so every run starts from the same migrations and seed.
    """
    import psycopg
    from psycopg import sql

    url = urlsplit(database_url or DEFAULT_PG_URL)
    if url.hostname not in (None, "127.0.0.1", "localhost", "::1"):
        raise BenchError(f"PostgreSQL must run on this machine, not {url.hostname}")
    name = sql.Identifier(PG_DATABASE)
    statements = [
        # FORCE: a server that died mid-run may still hold connections to the old one.
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name),
        sql.SQL("CREATE DATABASE {}").format(name),
    ]

    def admin(*queries):
        try:
            with psycopg.connect(url.geturl(), dbname="postgres", autocommit=True) as conn:
                for query in queries:
                    conn.execute(query)
        except psycopg.OperationalError as exc:
            raise BenchError(f"PostgreSQL at {url.hostname}:{url.port or 5432}: {exc}") from None

    admin(*statements)
    server.drop_database = lambda: admin(statements[0])
    server.env["DATABASE_URL"] = url._replace(path=f"/{PG_DATABASE}").geturl()
    log(f"created PostgreSQL database {PG_DATABASE}")


def _server_command(server: Server, server_cmd: str | None, workers: int) -> list[str]:
    template = SERVER_PRESETS.get(server_cmd or "serve", server_cmd)
    if template == SERVER_PRESETS["serve"]:
        serve_help = server.command_help("serve")
        if serve_help is None:
            raise BenchError(
                "`civicport serve` does not exist yet (`civicport help serve` failed); "
                "use --server-cmd granian to run granian directly"
            )
        if "--workers" in serve_help:  # pass the worker count only if serve takes it
            template += " --workers {workers}"
    if "{host}" not in template:
        raise BenchError("--server-cmd must bind {host} (127.0.0.1) and {port}")
    values = {"bin": VENV_BIN, "host": HOST, "port": server.port, "workers": workers}
    return [part.format(**values) for part in shlex.split(template)]


def _get(port: int, path: str, timeout: float = 5) -> int:
    """Status of one GET, redirects not followed (http.client: no proxy settings apply)."""
    return get_response(port, path, timeout)[0]


def get_body(port: int, path: str, timeout: float = 60) -> bytes:
    """Body of one GET (a generous timeout: checks on a busy machine are not measurements)."""
    return get_response(port, path, timeout)[1]


def get_response(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


RESULTS_DIR = BENCH_DIR / "results"  # git-ignored


def run_and_report(run, args, name: str, *, save: bool = True, indent: int | None = 2) -> int:
    """A bench's main: `run(args)`, its result printed as one JSON object and saved in
    bench/results/ (`name`); 1 with the error logged if it fails."""
    try:
        result = run(args)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=indent))
    if save:
        result_save(json.dumps(result, ensure_ascii=False, indent=2), name)
    return 0


def result_save(text: str, name: str) -> Path:
    """Keep a bench's JSON as bench/results/<UTC time>-<name>.json; returns the path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{name}.json"
    path.write_text(text + "\n")
    log(f"saved {path}")
    return path


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"server exited with code {server.process.returncode} during start-up; "
                f"its log ends with:\n{server.log_tail()}"
            )
        try:
            if _get(server.port, "/healthz", timeout=2) == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise BenchError(
        f"server not answering /healthz with 200 after {timeout:.0f}s; "
        f"its log ends with:\n{server.log_tail()}"
    )


def start_server(
    database: str = "sqlite",
    server_cmd: str | None = None,
    workers: int = 2,
    database_url: str | None = None,
    keep: bool = False,
    start_timeout: float = 60,
    seed_scale: int = 1,
) -> Server:
    """Prepare a scratch database (migrate, collectstatic, seed) and start the server on it.

    On failure everything already created is removed again and BenchError is raised.
    """
    if database not in ("sqlite", "postgresql"):
        raise BenchError(f"unknown database {database!r}: sqlite or postgresql")
    _exit_on_sigterm()
    data_dir = Path(tempfile.mkdtemp(prefix="civicport-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "CIVICPORT_DATA_DIR": str(data_dir),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    server = Server(database=database, env=env, data_dir=data_dir, keep=keep, port=_free_port())
    try:
        log(f"data directory {data_dir}")
        if database == "postgresql":
            _postgres_database(server, database_url)
        server.manage("migrate", "--noinput")
        # DEBUG off serves static files through the manifest storage: without collectstatic
        # every page that uses {% static %} fails with a 500.
        server.manage("collectstatic", "--noinput")
        seed_help = server.command_help("seed")
        server.seeded = seed_help is not None
        if server.seeded:
            scale = ["--scale", str(seed_scale)] if seed_scale > 1 else []
            if scale and "--scale" not in seed_help:
                raise BenchError("this `civicport seed` has no --scale")
            server.manage("seed", "--demo", *scale)
            server.seed_scale = seed_scale
        else:
            log("no working `civicport seed`: measuring an unseeded database")
        server.command = _server_command(server, server_cmd, workers)
        log("$ " + shlex.join(server.command))
        with server.log_path.open("wb") as log_file:
            # A new session: stop_server signals the whole group (granian's workers too),
            # and Ctrl-C in the terminal reaches the harness, not the server directly.
            server.process = subprocess.Popen(
                server.command,
                env=env,
                cwd=data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_ready(server, start_timeout)
        log(f"server ready at {server.url('/')} (log: {server.log_path})")
        return server
    except BaseException:
        stop_server(server)
        raise


def stop_server(server: Server) -> None:
    """Stop the server's process group, drop the bench database, remove the data directory."""
    try:
        process = server.process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log("server ignored SIGTERM for 15s: killing it")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    finally:
        try:
            if server.drop_database and not server.keep:
                server.drop_database()
                log("dropped the PostgreSQL database")
        finally:
            if server.keep:
                kept = PG_DATABASE if server.drop_database else "the SQLite file in it"
                log(f"kept {server.data_dir} and {kept}")
            else:
                shutil.rmtree(server.data_dir, ignore_errors=True)


@contextmanager
def bench_server(**kwargs):
    """start_server(**kwargs) as a context manager that always stops it."""
    server = start_server(**kwargs)
    try:
        yield server
    finally:
        stop_server(server)


def run_wrk(
    url: str,
    duration: int,
    connections: int,
    threads: int,
    *,
    script: Path | str | None = None,
    headers: tuple[str, ...] | list[str] = (),
    script_args: tuple[str, ...] | list[str] = (),
) -> dict:
    """One wrk run against url, summarised by report.lua; latencies in milliseconds.

    `script`: another wrk Lua script instead of report.lua. It must print the same
    "BENCH_JSON" line: the simplest way is to start with `dofile(os.getenv("BENCH_REPORT_LUA"))`
    and wrap report.lua's `response` if it needs its own. A line "BENCH_EXTRA {json}" that it
    prints is returned as `extra`. `headers`: "Name: value" strings (wrk --header), e.g. a
    Cookie or Authorization. `script_args`: passed to the script's `init(args)`.
    """
    if urlsplit(url).hostname != HOST:
        raise BenchError(f"refusing to load anything but {HOST}: {url}")
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed (Debian: apt-get install -y wrk)")
    command = [
        wrk,
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=10s",
        f"--script={script or REPORT_LUA}",
        *(f"--header={header}" for header in headers),
        url,
        *(["--", *script_args] if script_args else []),
    ]
    # wrk stops itself after --duration; the timeout only guards against a hung wrk.
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        # A failure sample cut at 300 bytes may end inside a UTF-8 character.
        errors="replace",
        timeout=duration + 60,
        env=os.environ | {"BENCH_REPORT_LUA": str(REPORT_LUA)},
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    raw = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    extra = [ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_EXTRA ")]
    errors = raw["errors"]
    if extra:
        raw["extra"] = json.loads(extra[-1].removeprefix("BENCH_EXTRA "))
    return {
        "requests_per_s": round(raw["requests_per_s"], 1),
        **{f"{p}_ms": round(raw["latency_us"][p] / 1000, 2) for p in ("p50", "p90", "p95", "p99")},
        "max_ms": round(raw["latency_us"]["max"] / 1000, 2),
        # Socket-level failures; HTTP errors (wrk's "status", >= 400) are part of non_2xx.
        "errors": sum(errors[k] for k in ("connect", "read", "write", "timeout")),
        "non_2xx": raw["non_2xx"],
        "requests": raw["requests"],
        "error_kinds": errors,
        **({"extra": raw["extra"]} if "extra" in raw else {}),
    }


def measure(
    server: Server,
    paths: list[str],
    duration: int = 10,
    connections: int = 16,
    threads: int = 2,
    warmup: int = 2,
) -> dict:
    """run_wrk for every path, each after a short warm-up run whose figures are discarded."""
    results = {}
    for path in paths:
        if not path.startswith("/"):
            raise BenchError(f"URL paths start with /: {path!r}")
        status = _get(server.port, path)
        if not 200 <= status < 300:
            log(f"WARNING {path} answers {status}: the figures measure that response")
        if warmup:
            run_wrk(server.url(path), warmup, connections, threads)
        result = run_wrk(server.url(path), duration, connections, threads)
        results[path] = {**result, "http_status": status}
        log(
            f"{path}: {result['requests_per_s']} req/s, p50 {result['p50_ms']} ms, "
            f"p99 {result['p99_ms']} ms, errors {result['errors']}, non-2xx {result['non_2xx']}"
        )
    return results


def _proc_field(path: str, key: str) -> str | None:
    """First `key: value` of a /proc file (Linux), or None."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(key)), None)


def machine_info() -> dict:
    """The machine, for the report: results are only comparable on the same hardware."""
    memory_kb = int((_proc_field("/proc/meminfo", "MemTotal") or "0 kB").split()[0])
    return {
        # The CPUs this process may run on (a container can see more than it gets).
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
        "memory_gb": round(memory_kb / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def wrk_version() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        return "wrk (not installed)"
    # `wrk -v` prints "wrk debian/4.1.0-3+b2 [epoll] Copyright ..." and exits 1.
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    return " ".join(done.stdout.split()[:2]) or "wrk"
