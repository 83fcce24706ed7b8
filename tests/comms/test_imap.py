"""IMAP polling against a real Dovecot on loopback (started here), and the encrypted password store."""

import grp
import os
import pwd
import select
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from comms import imap
from comms.imap import _parse_internaldate, check_connection, poll_account, poll_all
from comms.models import ImapAccount, Message, RawEmail
from comms.secrets import SecretError, decrypt, encrypt
from kernel.models import Studio
from tests.factories import ClientFactory, ContactFactory, StudioFactory

IMAP_USER = "rapport@imap.test"
IMAP_PASSWORD = "imap-secret-pass"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, *, seconds: float = 15.0) -> bool:
    """Retry connecting until Dovecot answers; waits in short select() timeouts, not sleeps."""
    deadline = datetime.now(tz=UTC) + timedelta(seconds=seconds)
    while datetime.now(tz=UTC) < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
                readable, _, _ = select.select([connection], [], [], 2.0)
                if readable and connection.recv(64).startswith(b"* OK"):
                    return True
        except OSError:
            select.select([], [], [], 0.05)
    return False


@dataclass(frozen=True)
class Dovecot:
    port: int
    log: Path

    def mailbox(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port, timeout=10).login(
            IMAP_USER, IMAP_PASSWORD, initial_folder=None
        )


def dovecot_config(*, port: int, run_dir: Path, mail_dir: Path, users: Path, log: Path) -> str:
    if os.geteuid() == 0:
        # Dovecot drops root: its own users run the services, and mail may not belong to uid 0.
        internal, login, mail_user = "dovecot", "dovenull", "dovecot"
        mail_group = "dovecot"
    else:
        internal = login = mail_user = pwd.getpwuid(os.getuid()).pw_name
        mail_group = grp.getgrgid(os.getgid()).gr_name
    return f"""
base_dir = {run_dir}
state_dir = {run_dir}
instance_name = rapport-test-{port}
log_path = {log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests log in with a wrong password on purpose: answer at once, no penalty for the next login
# (the auth process cannot reach anvil's penalty socket, which disables the penalty).
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {mail_group}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{mail_dir}/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={mail_dir}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it)")
    root = tmp_path_factory.mktemp("dovecot")
    # Outside pytest's private tmp tree: as root, Dovecot's auth and mail processes run as its own users.
    shared = Path(tempfile.mkdtemp(prefix="rapport-dovecot-"))
    shared.chmod(0o755)
    mail_dir = shared / "mail"
    mail_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(mail_dir, "dovecot", "dovecot")
    users = shared / "users"
    users.write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    port, log = free_port(), root / "dovecot.log"
    config = root / "dovecot.conf"
    config.write_text(dovecot_config(port=port, run_dir=root / "run", mail_dir=mail_dir, users=users, log=log))
    (root / "run").mkdir()
    process = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        if not wait_for_port(port, process):
            output = process.stdout.read().decode(errors="replace") if process.poll() is not None else ""
            details = (log.read_text() if log.exists() else "") + output
            pytest.skip(f"dovecot did not start on 127.0.0.1:{port}: {details.strip()[-500:]}")
        yield Dovecot(port=port, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture
def folder(dovecot: Dovecot) -> str:
    """A fresh, empty folder per test, so tests share one server without sharing mail."""
    name = f"Clients-{uuid.uuid4().hex[:10]}"
    with dovecot.mailbox() as mailbox:
        mailbox.folder.create(name)
    return name


@pytest.fixture
def account(studio: Studio, dovecot: Dovecot, folder: str) -> ImapAccount:
    return ImapAccount.objects.create(
        studio=studio,
        host="127.0.0.1",
        port=dovecot.port,
        security="none",
        username=IMAP_USER,
        password_encrypted=encrypt(IMAP_PASSWORD),
        folder=folder,
    )


@pytest.fixture
def alice(studio: Studio):
    customer = ClientFactory(studio=studio, name="Alice & Co")
    ContactFactory(client=customer, email="alice@client.example")
    return customer


def email(n: int, *, sender: str = "alice@client.example") -> bytes:
    return (
        f"From: Alice <{sender}>\r\nTo: hello@northlight.example\r\nSubject: Question {n}\r\n"
        f"Date: Tue, 17 Nov 2026 10:0{n}:00 +0100\r\nMessage-ID: <imap-{n}-{uuid.uuid4().hex}@client.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nQuestion number {n}, with ümlauts.\r\n"
    ).encode()


def append(dovecot: Dovecot, folder: str, *messages: bytes, at: datetime | None = None) -> None:
    with dovecot.mailbox() as mailbox:
        for raw in messages:
            mailbox.append(raw, folder, dt=at)


# --- against Dovecot ----------------------------------------------------------------------------


def test_the_first_poll_only_notes_where_the_mailbox_stands(dovecot, folder, account, alice):
    append(dovecot, folder, email(1))

    assert poll_account(account) == 0

    account.refresh_from_db()
    assert account.uid_validity is not None
    assert account.last_uid == 1
    assert (account.last_error, account.last_polled_at is not None) == ("", True)
    assert not Message.objects.exists()


def test_new_mail_is_filed_once_and_only_new_mail(dovecot, folder, account, alice):
    poll_account(account)
    append(dovecot, folder, email(1), email(2))

    assert poll_account(account) == 2
    assert Message.objects.count() == 2
    assert set(Message.objects.values_list("subject", flat=True)) == {"Question 1", "Question 2"}
    message = Message.objects.get(subject="Question 1")
    assert (message.client, message.needs_reply) == (alice, True)
    assert "ümlauts" in message.text
    assert message.raw_email.source == RawEmail.Source.IMAP

    assert poll_account(account) == 0
    assert Message.objects.count() == 2

    append(dovecot, folder, email(3))
    assert poll_account(account) == 1
    assert Message.objects.filter(subject="Question 3").count() == 1
    account.refresh_from_db()
    assert account.last_uid == 3


def test_polling_leaves_mail_unread(dovecot, folder, account, alice):
    poll_account(account)
    append(dovecot, folder, email(1))

    poll_account(account)

    with dovecot.mailbox() as mailbox:
        mailbox.folder.set(folder)
        flags = [message.flags for message in mailbox.fetch(mark_seen=False, headers_only=True)]
    assert len(flags) == 1
    assert "\\Seen" not in flags[0]


def test_the_arrival_time_is_the_mailbox_arrival_time(dovecot, folder, account, alice):
    arrived = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
    poll_account(account)
    append(dovecot, folder, email(1), at=arrived)

    poll_account(account)

    assert Message.objects.get().sent_at == arrived


def test_a_renumbered_folder_is_not_imported_again(dovecot, folder, account, alice):
    poll_account(account)
    append(dovecot, folder, email(1))
    poll_account(account)
    ImapAccount.objects.filter(pk=account.pk).update(uid_validity=account.uid_validity + 1, last_uid=0)
    account.refresh_from_db()

    assert poll_account(account) == 0

    account.refresh_from_db()
    assert account.last_uid == 1
    assert Message.objects.count() == 1
    append(dovecot, folder, email(2))
    assert poll_account(account) == 1


def test_mail_receive_cannot_parse_is_kept_and_not_fetched_again(dovecot, folder, account, alice):
    poll_account(account)
    append(dovecot, folder, b"\r\n\r\nnot an email at all\r\n", email(2))

    assert poll_account(account) == 2

    assert RawEmail.objects.filter(status=RawEmail.Status.FAILED).count() == 1
    assert Message.objects.count() == 1
    assert poll_account(account) == 0


def test_a_poll_that_finds_nothing_new_claims_nothing_twice(dovecot, folder, account, alice):
    """Two pollers racing: the claim on ``last_uid`` lets only one file each message."""
    poll_account(account)
    append(dovecot, folder, email(1))
    stale = ImapAccount.objects.get(pk=account.pk)  # a second worker read the row before the first poll

    assert poll_account(account) == 1
    assert imap._claim_and_file(stale, uid=1, raw=email(1), received_at=datetime.now(tz=UTC)) is False
    assert Message.objects.count() == 1


def test_login_errors_are_recorded_not_raised(dovecot, account):
    account.password_encrypted = encrypt("wrong password")
    account.save()

    assert poll_account(account) == 0

    account.refresh_from_db()
    assert account.last_error.startswith(f"Login refused by 127.0.0.1:{dovecot.port}")
    assert account.last_polled_at is not None


def test_a_missing_folder_is_recorded(dovecot, account):
    ImapAccount.objects.filter(pk=account.pk).update(folder="No-Such-Folder")
    account.refresh_from_db()

    poll_account(account)

    assert "No-Such-Folder" in account.last_error or "doesn't exist" in account.last_error


def test_check_connection_reports_success_or_the_reason(dovecot, folder):
    settings = {"host": "127.0.0.1", "port": dovecot.port, "security": "none", "username": IMAP_USER, "folder": folder}

    assert check_connection(**settings, password=IMAP_PASSWORD) == imap.ConnectionCheck(
        ok=True, detail=f"Connected: {folder} holds 0 messages."
    )
    failed = check_connection(**settings, password="nope")
    assert not failed.ok
    assert "Login refused" in failed.detail


def test_poll_all_polls_enabled_accounts_and_survives_a_broken_one(dovecot, folder, account, alice):
    broken_studio = StudioFactory(slug="broken")
    ImapAccount.objects.create(
        studio=broken_studio,
        host="127.0.0.1",
        port=free_port(),
        security="none",
        username="x",
        password_encrypted=encrypt("y"),
    )
    ImapAccount.objects.create(
        studio=StudioFactory(slug="paused"), host="127.0.0.1", port=1, security="none", username="x", enabled=False
    )
    poll_account(account)
    append(dovecot, folder, email(1))

    result = poll_all()

    assert result == {"accounts": 2, "messages": 1, "failed": 1}
    assert "Cannot connect to 127.0.0.1" in ImapAccount.objects.get(studio=broken_studio).last_error
    assert ImapAccount.objects.get(studio__slug="paused").last_polled_at is None


# --- without a server ---------------------------------------------------------------------------


def test_cleartext_to_another_machine_is_refused(studio):
    account = ImapAccount.objects.create(
        studio=studio, host="imap.example.com", port=143, security="none", username="u", password_encrypted=encrypt("p")
    )

    assert poll_account(account) == 0
    assert "only allowed to this machine" in account.last_error


def test_an_unreadable_password_is_a_clear_error(studio, settings):
    account = ImapAccount.objects.create(
        studio=studio,
        host="127.0.0.1",
        port=free_port(),
        security="none",
        username="u",
        password_encrypted=encrypt("p"),
    )
    settings.SECRET_KEY = "a-different-secret-key-after-a-careless-redeploy"

    poll_account(account)

    assert "cannot be decrypted" in account.last_error
    assert "Enter the password again" in account.last_error


def test_passwords_are_stored_encrypted_and_read_back(settings):
    token = encrypt("pässword")

    assert "pässword" not in token
    assert decrypt(token) == "pässword"
    assert encrypt("") == decrypt("") == ""


def test_setting_an_encryption_key_keeps_old_passwords_readable(settings):
    old = encrypt("old-password")
    settings.RAPPORT_ENCRYPTION_KEY = "a long random passphrase for rapport secrets"

    new = encrypt("new-password")

    assert decrypt(old) == "old-password"
    assert decrypt(new) == "new-password"
    settings.SECRET_KEY = "rotated-without-fallback"
    assert decrypt(new) == "new-password"  # the encryption key alone opens it
    with pytest.raises(SecretError):
        decrypt(old)


def test_a_fernet_key_is_used_as_is(settings):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    settings.RAPPORT_ENCRYPTION_KEY = key.decode()

    assert Fernet(key).decrypt(encrypt("secret").encode()) == b"secret"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'INTERNALDATE "17-Nov-2026 09:30:00 +0100"', datetime(2026, 11, 17, 8, 30, tzinfo=UTC)),
        (b'INTERNALDATE " 7-Jul-1996 02:44:25 -0700"', datetime(1996, 7, 7, 9, 44, 25, tzinfo=UTC)),
        (b'INTERNALDATE "31-Feb-2026 00:00:00 +0000"', None),
        (b'INTERNALDATE "17-Foo-2026 00:00:00 +0000"', None),
    ],
)
def test_internaldate_parsing(text, expected):
    match = imap._INTERNALDATE.search(text)
    assert _parse_internaldate(match.groups()) == expected
