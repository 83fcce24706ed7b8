"""``manage.py receive_email``: one raw message on stdin, one line out, non-zero exit on failure."""

import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from comms.models import Message, RawEmail
from tests.factories import ClientFactory, ContactFactory, StudioFactory

ROOT = Path(__file__).resolve().parents[2]
EML = Path(__file__).parent / "eml"
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def run(*args: str, stdin: bytes | None = None) -> str:
    out = io.StringIO()
    options = {} if stdin is None else {"stdin": io.BytesIO(stdin)}
    call_command("receive_email", *args, stdout=out, **options)
    return out.getvalue().strip()


@pytest.fixture
def ann(studio):
    client = ClientFactory(studio=studio)
    ContactFactory(client=client, email="ann@client.example")
    return client


@time_machine.travel(MONDAY_10, tick=False)
def test_a_client_mail_is_stored_and_its_due_time_printed(studio, ann):
    output = run("--studio", "northlight", stdin=(EML / "ru_windows1251.eml").read_bytes())

    message = Message.objects.get()
    assert message.client == ann
    assert message.sent_at == MONDAY_10
    assert output == (
        f"Stored message {message.pk} from ann@client.example in thread {message.thread_id}"
        " (reply due Tue 01 Dec 10:00)"
    )


def test_it_reads_the_real_stdin_as_bytes(studio, ann, monkeypatch):
    ContactFactory(client=ann, email="ivan@client.example")
    raw = (EML / "ru_koi8r.eml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))

    output = run("--studio", "northlight")

    message = Message.objects.get()
    assert message.subject == "Срочно: сайт не открывается"
    assert "urgent, reply due" in output


def test_unmatched_and_automatic_mail_say_so(studio):
    assert "(unmatched sender" in run("--studio", "northlight", stdin=(EML / "alternative.eml").read_bytes())
    assert "(automatic: list, no reply clock)" in run(
        "--studio", "northlight", stdin=(EML / "list_mail.eml").read_bytes()
    )


def test_an_unknown_studio_fails_and_stores_nothing(studio):
    with pytest.raises(CommandError, match="Unknown studio 'nope'") as failure:
        run("--studio", "nope", stdin=(EML / "alternative.eml").read_bytes())
    assert failure.value.returncode == 67
    assert not RawEmail.objects.exists()


def test_a_database_outage_asks_the_mail_server_to_try_again(studio, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr("comms.management.commands.receive_email.receive", unreachable)
    with pytest.raises(CommandError, match="database is unreachable.*try again later") as failure:
        run("--studio", "northlight", stdin=(EML / "alternative.eml").read_bytes())
    assert failure.value.returncode == 75


@pytest.mark.parametrize("stdin", [b"", b"\n\n  \n"])
def test_empty_stdin_fails(studio, stdin):
    with pytest.raises(CommandError, match="Empty stdin"):
        run("--studio", "northlight", stdin=stdin)
    assert not RawEmail.objects.exists()


def test_a_terminal_on_stdin_fails_instead_of_waiting(studio, monkeypatch):
    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(io.BytesIO(b"")))
    with pytest.raises(CommandError, match="No email on stdin"):
        run("--studio", "northlight")


def test_a_parse_failure_names_the_raw_email_kept_for_replay(studio, ann):
    with pytest.raises(CommandError) as failure:
        run("--studio", "northlight", stdin=b"garbage without headers")

    raw = RawEmail.objects.get()
    assert raw.status == RawEmail.Status.FAILED
    assert f"kept as raw email #{raw.pk} for replay" in str(failure.value)
    assert "\n" not in str(failure.value)


def test_replay_files_a_stored_raw_email(studio, ann):
    raw = RawEmail.objects.create(
        studio=studio, raw=(EML / "el_iso88597.eml").read_bytes(), received_at=MONDAY_10, status="failed", error="x"
    )
    ContactFactory(client=ann, email="maria@client.example")

    output = run("--studio", "northlight", "--replay", str(raw.pk))

    message = Message.objects.get()
    assert output.startswith(f"Stored message {message.pk} from maria@client.example")
    assert message.raw_email == raw
    raw.refresh_from_db()
    assert raw.status == RawEmail.Status.PARSED


def test_replay_of_another_studios_raw_email_is_refused(studio, other_studio):
    raw = RawEmail.objects.create(studio=other_studio, raw=b"x", received_at=MONDAY_10)

    with pytest.raises(CommandError, match=f"No raw email #{raw.pk} in studio 'northlight'"):
        run("--studio", "northlight", "--replay", str(raw.pk))


def database_url() -> str:
    """The test database, as a URL the child process's settings read."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def manage(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    keep = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    env = {**keep, "DEBUG": "1", "RAPPORT_VAR_DIR": str(settings.VAR_DIR), "DATABASE_URL": database_url()}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_the_real_command_in_a_pipe():
    studio = StudioFactory(slug="pipe-studio", timezone="Europe/Berlin")
    ContactFactory(client=ClientFactory(studio=studio), email="ann@client.example")

    stored = manage("receive_email", "--studio", "pipe-studio", stdin=(EML / "reply_quoted.eml").read_bytes())
    unknown = manage("receive_email", "--studio", "nope", stdin=b"From: a@b.example\n\nhi\n")

    assert stored.returncode == 0, stored.stderr.decode()
    message = Message.objects.get(studio=studio)
    assert stored.stdout.decode().strip().startswith(f"Stored message {message.pk} from ann@client.example")
    assert message.needs_reply
    assert unknown.returncode == 67  # EX_NOUSER: the mail server bounces it to the sender
    assert "Unknown studio 'nope'" in unknown.stderr.decode()
