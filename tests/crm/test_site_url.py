"""SITE_URL: the address the app is served from, the base of every absolute link (issue 14 §5)."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crm.test_settings import PRODUCTION_ENV, ROOT, clean_env, read_settings


def test_production_without_site_url_stops_start_up_naming_the_variable():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SITE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean_env(**env), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SITE_URL is not set" in result.stderr


def test_production_reads_site_url_without_a_trailing_slash():
    result = subprocess.run(
        [sys.executable, "-c", "import crm.settings as s; print(s.SITE_URL)"], cwd=ROOT,
        env=clean_env(**{**PRODUCTION_ENV, "SITE_URL": "https://crm.studio.example/"}), capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "https://crm.studio.example"


def test_development_defaults_to_the_local_address():
    assert read_settings(DEBUG="1")["DEBUG"] is True
    result = subprocess.run(
        [sys.executable, "-c", "import crm.settings as s; print(s.SITE_URL)"], cwd=ROOT, env=clean_env(DEBUG="1"),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "http://127.0.0.1:8000"


def test_env_example_compose_and_the_docker_image_set_it():
    assert "SITE_URL=https://" in (ROOT / ".env.example").read_text()
    assert "SITE_URL: ${SITE_URL:?" in (ROOT / "docker-compose.yml").read_text()  # compose refuses to start without
    assert "SITE_URL=" in (ROOT / "Dockerfile").read_text()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("extra", "expected"), [({}, "http://127.0.0.1:8141"),
                                                 ({"SITE_URL": "https://x.example"}, "https://x.example")])  # fmt: skip
def test_make_run_port_sets_the_site_url_for_the_seed_and_every_process(tmp_path: Path, extra, expected):
    """``make run PORT=8141`` with stand-ins for python and honcho that record the SITE_URL they are given."""
    record = tmp_path / "seen"
    for name in ("python", "honcho"):
        script = tmp_path / name
        script.write_text(f'#!/bin/sh\necho "{name} $SITE_URL" >> {record}\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    stamp = tmp_path / "stamp"
    stamp.touch()
    env = {key: value for key, value in os.environ.items() if key not in {"SITE_URL", "MAKEFLAGS", "MAKELEVEL"}}
    subprocess.run(
        ["make", "-s", "run", "PORT=8141", f"BIN={tmp_path}", f"STAMP={stamp}"], cwd=ROOT, env={**env, **extra},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = record.read_text().splitlines()
    assert lines
    assert all(line.split(" ", 1)[1] == expected for line in lines), lines
    assert any(line.startswith("honcho") for line in lines)
