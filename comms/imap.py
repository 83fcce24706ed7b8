"""IMAP polling: new mail in a studio's mailbox becomes messages, through ``comms.inbound.receive``.

What "new" means, and why:

- The first poll of an account, and any poll that finds the folder's UIDVALIDITY changed (the
  server renumbered it), imports nothing: it notes the folder's current last UID and takes only
  mail that arrives after. Importing a years-old inbox would start a reply clock for every
  old message; re-importing a renumbered folder would duplicate the mail already filed.
  Saving another host, user or folder on the Mail sources page starts over the same way.
- Afterwards each poll takes the UIDs above ``last_uid``. Each message is claimed (``last_uid``
  raised with a conditional UPDATE) and filed in one transaction: a crash mid-batch neither
  loses nor re-imports mail, and two polls running at once file each message once.
- The folder is opened read-only and bodies fetched with ``BODY.PEEK``: Rapport never marks the
  freelancer's mail as read. A message's arrival time is its IMAP INTERNALDATE.
- Connection and login errors are recorded on the account (``last_error``), never raised.
"""

from __future__ import annotations

import email
import imaplib
import ipaddress
import logging
import re
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone
from email.message import Message
from functools import cached_property

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from imap_tools import A, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage, U
from imap_tools.errors import ImapToolsError, MailboxLoginError

from comms import inbound
from comms.models import ImapAccount, RawEmail
from comms.secrets import SecretError, decrypt

logger = logging.getLogger("rapport.imap")

BATCH = 50  # messages per FETCH: bounded memory, few round trips
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_INTERNALDATE = re.compile(rb'INTERNALDATE "\s*(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)"')
_UID = re.compile(rb"\bUID (\d+)")


class ImapConfigError(Exception):
    """Settings that cannot work (no password, cleartext to another machine…)."""


class RawMailMessage(MailMessage):
    """imap_tools' message, keeping the bytes exactly as the server sent them (parsed only on demand)."""

    def __init__(self, fetch_data: list) -> None:
        self.raw, self._raw_uid_data, self._raw_flag_data = self._get_message_data_parts(fetch_data)

    @cached_property
    def obj(self) -> Message:  # type: ignore[override]
        return email.message_from_bytes(self.raw)


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    detail: str


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def open_mailbox(
    *, host: str, port: int, security: str, username: str, password: str, timeout: float | None = None
) -> Iterator[BaseMailBox]:
    """A logged-in mailbox (no folder selected yet); logs out on exit."""
    timeout = timeout if timeout is not None else settings.RAPPORT_IMAP_TIMEOUT
    if not password:
        raise ImapConfigError(_("No password is saved for this mailbox."))
    if security == "ssl":
        mailbox: BaseMailBox = MailBox(host, port, timeout=timeout, ssl_context=ssl.create_default_context())
    elif security == "starttls":
        mailbox = MailBoxStartTls(host, port, timeout=timeout, ssl_context=ssl.create_default_context())
    elif security == "none":
        if not is_loopback(host):
            raise ImapConfigError(_("Unencrypted IMAP is only allowed to this machine (localhost)."))
        mailbox = MailBoxUnencrypted(host, port, timeout=timeout)
    else:
        raise ImapConfigError(f"Unknown connection security {security!r}.")
    mailbox.email_message_class = RawMailMessage
    try:
        mailbox.login(username, password, initial_folder=None)
        yield mailbox
    finally:
        with suppress(Exception):  # the connection may already be gone; the first error is the one to report
            mailbox.logout()


def account_mailbox(account: ImapAccount) -> AbstractContextManager[BaseMailBox]:
    return open_mailbox(
        host=account.host,
        port=account.port,
        security=account.security,
        username=account.username,
        password=decrypt(account.password_encrypted),
    )


def check_connection(
    *, host: str, port: int, security: str, username: str, password: str, folder: str
) -> ConnectionCheck:
    """Connect, log in and open ``folder`` read-only: what the "Test connection" button reports."""
    try:
        with open_mailbox(host=host, port=port, security=security, username=username, password=password) as mailbox:
            status = mailbox.folder.status(folder, ["MESSAGES"])
    except Exception as exc:
        return ConnectionCheck(ok=False, detail=describe_error(exc, host=host, port=port))
    count = status.get("MESSAGES", 0)
    return ConnectionCheck(
        ok=True,
        detail=ngettext(
            "Connected: %(folder)s holds %(count)s message.", "Connected: %(folder)s holds %(count)s messages.", count
        )
        % {"folder": folder, "count": count},
    )


def describe_error(exc: BaseException, *, host: str = "", port: int | None = None) -> str:
    """A sentence for the freelancer; IMAP servers' raw replies are bytes reprs otherwise."""
    where = f"{host}:{port}" if host else _("the server")
    if isinstance(exc, ImapConfigError | SecretError):
        return str(exc)
    if isinstance(exc, MailboxLoginError):
        return _("Login refused by %(where)s: %(reason)s") % {
            "where": where,
            "reason": _server_text(exc.command_result[1]),
        }
    if isinstance(exc, TimeoutError):
        return _("No answer from %(where)s within %(seconds)s s.") % {
            "where": where,
            "seconds": settings.RAPPORT_IMAP_TIMEOUT,
        }
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return _("Secure connection to %(where)s failed: %(error)s") % {"where": where, "error": exc}
    if isinstance(exc, OSError):
        return _("Cannot connect to %(where)s: %(error)s") % {"where": where, "error": exc.strerror or exc}
    if isinstance(exc, ImapToolsError) and hasattr(exc, "command_result"):
        return _("%(where)s refused: %(reason)s") % {"where": where, "reason": _server_text(exc.command_result[1])}
    return f"{type(exc).__name__}: {exc}"


def _server_text(data: object) -> str:
    items = data if isinstance(data, list | tuple) else [data]
    parts = [item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item) for item in items if item]
    return " ".join(parts).strip() or _("no reason given")


def poll_account(account: ImapAccount, *, now: datetime | None = None) -> int:
    """File the mail that arrived in the account's folder since the last poll; returns how many.

    Records ``last_polled_at`` and ``last_error`` (empty on success). Never raises for
    connection, login or server errors. Mail ``receive`` cannot parse still counts: its raw
    bytes are kept (``RawEmail`` failed) for replay.
    """
    now = now or timezone.now()
    stored = 0
    error = ""
    try:
        with account_mailbox(account) as mailbox:
            stored = _poll_folder(account, mailbox, now=now)
    except (ImapConfigError, SecretError, ImapToolsError, imaplib.IMAP4.error, OSError) as exc:
        error = describe_error(exc, host=account.host, port=account.port)
        logger.warning("IMAP poll of account #%s (%s) failed: %s", account.pk, account, error)
    except Exception as exc:
        error = describe_error(exc)
        logger.exception("IMAP poll of account #%s (%s) failed", account.pk, account)
    ImapAccount.objects.filter(pk=account.pk).update(last_polled_at=now, last_error=error)
    account.last_polled_at, account.last_error = now, error
    return stored


def poll_all(now: datetime | None = None) -> dict[str, int]:
    """Poll every enabled account once. Safe to run any number of times, also concurrently."""
    now = now or timezone.now()
    result = {"accounts": 0, "messages": 0, "failed": 0}
    for account in ImapAccount.objects.filter(enabled=True).select_related("studio").order_by("pk"):
        try:
            result["messages"] += poll_account(account, now=now)
        except Exception:  # poll_account records its errors; this is the last line of defence
            logger.exception("IMAP poll of account #%s crashed", account.pk)
            account.last_error = account.last_error or "Poll crashed; see the worker log."
        result["accounts"] += 1
        result["failed"] += bool(account.last_error)
    return result


def _poll_folder(account: ImapAccount, mailbox: BaseMailBox, *, now: datetime) -> int:
    status = mailbox.folder.status(account.folder, ["UIDVALIDITY", "UIDNEXT"])
    mailbox.folder.set(account.folder, readonly=True)
    validity = status.get("UIDVALIDITY")
    if account.uid_validity is None or account.uid_validity != validity:
        _rebaseline(account, mailbox, validity=validity, uid_next=status.get("UIDNEXT"))
        return 0
    last_uid = account.last_uid
    new_uids = sorted(
        uid for uid in (int(value) for value in mailbox.uids(A(uid=U(last_uid + 1, "*")))) if uid > last_uid
    )
    stored = 0
    for start in range(0, len(new_uids), BATCH):
        chunk = tuple(new_uids[start : start + BATCH])
        arrived = _internal_dates(mailbox, chunk)
        messages = mailbox.fetch(uid_list=[str(uid) for uid in chunk], mark_seen=False, bulk=True)
        for message in sorted(messages, key=lambda message: int(message.uid)):
            uid = int(message.uid)
            received_at = min(arrived.get(uid, now), now)
            if _claim_and_file(account, uid=uid, raw=message.raw, received_at=received_at):
                stored += 1
    return stored


def _rebaseline(account: ImapAccount, mailbox: BaseMailBox, *, validity: int | None, uid_next: int | None) -> None:
    baseline = uid_next - 1 if uid_next else max((int(uid) for uid in mailbox.uids("ALL")), default=0)
    if account.uid_validity is not None:
        logger.warning(
            "IMAP account #%s: UIDVALIDITY changed (%s → %s); taking only mail after UID %s",
            account.pk,
            account.uid_validity,
            validity,
            baseline,
        )
    ImapAccount.objects.filter(pk=account.pk).update(uid_validity=validity, last_uid=baseline)
    account.uid_validity, account.last_uid = validity, baseline


def _claim_and_file(account: ImapAccount, *, uid: int, raw: bytes, received_at: datetime) -> bool:
    """Claim ``uid`` and file its message in one transaction; False when another poll had it."""
    with transaction.atomic():
        claimed = ImapAccount.objects.filter(pk=account.pk, uid_validity=account.uid_validity, last_uid__lt=uid).update(
            last_uid=uid
        )
        if not claimed:
            return False
        try:
            inbound.receive(account.studio, raw, received_at=received_at, source=RawEmail.Source.IMAP)
        except inbound.InboundError as exc:  # the raw mail is kept, marked failed, for replay
            logger.warning("IMAP account #%s, UID %s: %s (raw email #%s)", account.pk, uid, exc, exc.raw_email_id)
    account.last_uid = uid
    return True


def _internal_dates(mailbox: BaseMailBox, uids: tuple[int, ...]) -> dict[int, datetime]:
    """When each message reached the mailbox (IMAP INTERNALDATE), for the reply clock."""
    typ, data = mailbox.client.uid("fetch", ",".join(str(uid) for uid in uids), "(UID INTERNALDATE)")
    if typ != "OK":
        return {}
    dates = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        uid, date = _UID.search(line), _INTERNALDATE.search(line)
        if uid and date and (parsed := _parse_internaldate(date.groups())):
            dates[int(uid.group(1))] = parsed
    return dates


def _parse_internaldate(groups: tuple[bytes, ...]) -> datetime | None:
    day, month, year, hour, minute, second, sign, off_h, off_m = (group.decode("ascii") for group in groups)
    if month.title() not in _MONTHS:
        return None
    month_number = _MONTHS.index(month.title()) + 1
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    try:
        local = datetime(
            int(year),
            month_number,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=dt_timezone(offset),
        )
    except ValueError:
        return None
    return local.astimezone(UTC)
