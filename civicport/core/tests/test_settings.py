"""Start-up with bad settings stops with a clear message; production settings are clean."""

import os
import secrets
import subprocess
import sys


def run_cli(*args, **env):
    # A fresh process as an operator starts it: without the test session's own switches.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "-m", "civicport.cli", *args],
        env={**base, **env, "DJANGO_SETTINGS_MODULE": "civicport.settings"},
        capture_output=True, text=True, timeout=120,
    )


def test_unparseable_database_url_stops_startup(tmp_path):
    result = run_cli("check", DATABASE_URL="nonsense://", CIVICPORT_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "CivicPort cannot start: DATABASE_URL" in result.stderr


def test_unusable_data_dir_stops_startup(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_cli("check", CIVICPORT_DATA_DIR=str(blocker / "data"))
    assert result.returncode == 2
    assert "CIVICPORT_DATA_DIR" in result.stderr and "cannot be created" in result.stderr


def test_bad_boolean_names_the_variable(tmp_path):
    result = run_cli("check", DEBUG="maybe", CIVICPORT_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_generated_secret_key_is_kept(tmp_path):
    env = {"CIVICPORT_DATA_DIR": str(tmp_path), "SECRET_KEY": ""}
    assert run_cli("check", **env).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50 and oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    run_cli("check", **env)
    assert (tmp_path / "secret_key").read_text() == key


def test_deploy_check_is_clean_behind_https(tmp_path):
    result = run_cli(
        "check", "--deploy", "--fail-level", "WARNING",
        CIVICPORT_DATA_DIR=str(tmp_path), CIVICPORT_BEHIND_HTTPS="1", DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="dichvucong.haiphong.gov.vn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
