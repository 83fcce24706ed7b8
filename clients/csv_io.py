"""CSV import and export of clients with their contacts, and the vCard export of contacts.

No request objects here: the views in `clients/csv_views.py` only glue these functions to HTTP.

Import, in steps that can each be called on their own:

1. `decode(data, encoding)` turns the uploaded bytes into text: UTF-8 (with or without a
   byte order mark) or Windows-1251 (Excel in Russia), chosen or detected (strict UTF-8
   first, else Windows-1251). Bytes that don't decode are a clear error naming the other
   encoding; NUL bytes mean the file isn't text at all.
2. `parse(text)` finds the delimiter (`,`, `;` or tab: the one under which the header
   line names the most known columns, which is steadier than `csv.Sniffer` on one line),
   maps the header to our columns (case-insensitive, English or Russian) and reads the
   rows. File-level problems (empty, unknown or missing columns, > 5,000 rows) raise
   `CsvFileError`.
3. `validate(parsed, studio=...)` checks every row and decides its outcome: a new client,
   a contact for a client created by an earlier row, a contact for an existing current
   client (matched by name, case-insensitively), nothing to do, or an error.
4. `commit_import(text, studio=...)` runs 2 and 3 again inside one transaction on the
   data as it is *now*, and writes everything or nothing.

Carrying the upload from preview to commit: the preview stores the decoded text (at most
`MAX_BYTES` of upload) in the server-side session (`stash`), together with the studio and
a random token that the preview's commit form posts back. The commit takes the text only
from the session (`pending`), never from the browser, and re-validates it. One import
waits per session: a new upload replaces the previous one. This needs a server-side
session engine (the default database sessions), not signed cookies.

Export: `export_csv` writes the import's own columns, one row per current client with its
primary contact, then one row per further contact (only the client's name and the contact
columns filled), so an export imports back into another studio unchanged. Cells that a
spreadsheet would run as a formula get a leading apostrophe, which the import removes
again. `export_vcards` writes one vCard 3.0 per contact of the studio.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from clients.models import Client, Contact, Tag
from clients.signals import contacts_changed
from clients.touch_clock import refresh_next_touch
from kernel.models import Studio

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000

ENCODING_AUTO = "auto"
ENCODING_UTF8 = "utf-8"
ENCODING_CP1251 = "cp1251"
ENCODING_CHOICES = [
    (ENCODING_AUTO, gettext_lazy("Detect automatically")),
    (ENCODING_UTF8, "UTF-8"),
    (ENCODING_CP1251, "Windows-1251"),
]

COLUMNS = (
    "client", "kind", "status", "language", "tags", "notes", "difficulty",
    "contact_name", "contact_email", "contact_phone", "contact_role",
)  # fmt: skip
REQUIRED_COLUMNS = ("client",)
CLIENT_FIELDS = ("kind", "status", "language", "notes", "difficulty")
CONTACT_COLUMNS = ("contact_name", "contact_email", "contact_phone", "contact_role")
DELIMITERS = (",", ";", "\t")

# Header aliases, in normalised form (see `_header_key`).
HEADER_ALIASES = {
    "client_name": "client", "company": "client", "клиент": "client", "компания": "client",
    "название": "client", "организация": "client",
    "type": "kind", "тип": "kind",
    "статус": "status",
    "lang": "language", "язык": "language",
    "tag": "tags", "теги": "tags", "тэги": "tags", "метки": "tags",
    "note": "notes", "заметки": "notes", "примечания": "notes", "комментарий": "notes",
    "сложность": "difficulty",
    "contact": "contact_name", "имя": "contact_name", "контакт": "contact_name",
    "контактное_лицо": "contact_name", "фио": "contact_name",
    "email": "contact_email", "e_mail": "contact_email", "mail": "contact_email", "почта": "contact_email",
    "эл_почта": "contact_email", "электронная_почта": "contact_email",
    "phone": "contact_phone", "телефон": "contact_phone",
    "role": "contact_role", "title": "contact_role", "должность": "contact_role", "роль": "contact_role",
}  # fmt: skip

# Values accepted besides the codes and the (translated) labels of the model's choices.
KIND_ALIASES = {
    "организация": Client.Kind.COMPANY, "компания": Client.Kind.COMPANY,
    "человек": Client.Kind.PERSON, "частное лицо": Client.Kind.PERSON, "физлицо": Client.Kind.PERSON,
}  # fmt: skip
STATUS_ALIASES = {
    "лид": Client.Status.LEAD, "потенциальный": Client.Status.LEAD,
    "активный": Client.Status.ACTIVE, "текущий": Client.Status.ACTIVE,
    "бывший": Client.Status.PAST, "прошлый": Client.Status.PAST,
}  # fmt: skip
LANGUAGE_ALIASES = {"английский": "en", "русский": "ru", "russian": "ru", "english": "en"}

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TAG_SEPARATORS = re.compile(r"[;|]")


class CsvFileError(Exception):
    """The file as a whole can't be imported; `messages` says why, for people."""

    def __init__(self, *messages: str) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


def expected_columns_text() -> str:
    return ", ".join(COLUMNS)


# --- 1. Bytes to text ---------------------------------------------------------------------------

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode(data: bytes, encoding: str = ENCODING_AUTO) -> str:
    """The text of an uploaded file, or `CsvFileError` with a message that names the fix."""
    if len(data) > MAX_BYTES:
        raise CsvFileError(too_big_message(len(data)))
    if data.startswith(UTF16_BOMS):
        raise CsvFileError(
            _(
                "This file is UTF-16 (Excel's “Unicode Text”), which we can't read. "
                "Save it as “CSV UTF-8” or “CSV (comma delimited)” and upload it again."
            )
        )
    if encoding == ENCODING_AUTO:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as utf8_error:
            if _mostly_utf8(data):  # read as Windows-1251 it would be garbled without a word
                raise CsvFileError(
                    _(
                        "This file is UTF-8 except for line %(line)s, which has bytes that don't decode. "
                        "Fix that line, or save the file again as “CSV UTF-8”, and upload it again."
                    )
                    % {"line": _line_of(data, utf8_error.start)}
                ) from utf8_error
            try:
                text = data.decode("cp1251")
            except UnicodeDecodeError as error:
                raise CsvFileError(
                    _(
                        "This file is neither UTF-8 nor Windows-1251 text (line %(line)s can't be read). "
                        "Save it from your spreadsheet as “CSV UTF-8” and upload it again."
                    )
                    % {"line": _line_of(data, error.start)}
                ) from error
    elif encoding == ENCODING_UTF8:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CsvFileError(
                _(
                    "This file is not UTF-8: line %(line)s has bytes that don't decode. "
                    "Files saved by Excel in Russian are usually Windows-1251: choose that encoding "
                    "(or “Detect automatically”) and upload it again."
                )
                % {"line": _line_of(data, error.start)}
            ) from error
    elif encoding == ENCODING_CP1251:
        if data.startswith(UTF8_BOM) or _is_non_ascii_utf8(data):
            raise CsvFileError(
                _(
                    "This file is UTF-8, not Windows-1251: read as Windows-1251 its letters would be garbled. "
                    "Choose UTF-8 (or “Detect automatically”) and upload it again."
                )
            )
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError as error:
            raise CsvFileError(
                _(
                    "This file is not Windows-1251: line %(line)s has a byte that doesn't decode. "
                    "Choose UTF-8 (or “Detect automatically”) and upload it again."
                )
                % {"line": _line_of(data, error.start)}
            ) from error
    else:
        raise ValueError(f"Unknown encoding choice {encoding!r}")
    if "\x00" in text:
        raise CsvFileError(not_csv_message())
    return text


def too_big_message(size: int) -> str:
    return _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.") % {
        "size": f"{size / 1024 / 1024:.1f}",
        "limit": MAX_BYTES // 1024 // 1024,
    }


def not_csv_message() -> str:
    return _(
        "This is not a CSV file: it contains binary data. In your spreadsheet, choose "
        "File → Save as → “CSV UTF-8” and upload that file."
    )


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _mostly_utf8(data: bytes) -> bool:
    """More valid multi-byte UTF-8 characters than broken bytes: UTF-8 with a flaw, not Windows-1251.

    Russian text in Windows-1251 is almost never valid UTF-8: nearly every letter is a broken byte.
    """
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    valid = sum(1 for char in text if char > "\x7f" and char != "\ufffd")
    return valid > broken


def _is_non_ascii_utf8(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- 2. Text to rows ------------------------------------------------------------------------------


@dataclass
class SourceRow:
    number: int  # the spreadsheet's row number: the header is row 1 (if the file starts with it)
    values: dict[str, str]
    unnamed: list[int] = field(default_factory=list)  # 1-based positions of values under no header


@dataclass
class ParsedFile:
    delimiter: str
    labels: dict[str, str]  # column → the header text the file used for it
    rows: list[SourceRow]

    def label(self, column: str) -> str:
        return self.labels.get(column, column)


def parse(text: str) -> ParsedFile:
    """Rows of the file, keyed by our column names; `CsvFileError` if the file can't be used."""
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise CsvFileError(not_csv_message())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise CsvFileError(_("The file is empty. Upload a CSV file with a header row and one row per contact."))
    delimiter = _choose_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str | None] | None = None
    labels: dict[str, str] = {}
    rows: list[SourceRow] = []
    number = 0
    try:
        for record in reader:
            number += 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header, labels = _read_header(record)
                continue
            if len(rows) == MAX_ROWS:
                raise CsvFileError(
                    _("The file has more than %(max)s rows. Split it into smaller files and import them one by one.")
                    % {"max": f"{MAX_ROWS:,}"}
                )
            rows.append(_read_row(number, record, header))
    except csv.Error as error:
        raise CsvFileError(
            _("Row %(row)s is not valid CSV (%(error)s).") % {"row": number + 1, "error": error}
        ) from error
    if not rows:
        raise CsvFileError(_("The file has a header row but no rows with clients under it."))
    return ParsedFile(delimiter=delimiter, labels=labels, rows=rows)


def _header_key(cell: str) -> str:
    key = re.sub(r"[\s\-.]+", "_", cell.strip().removeprefix("\ufeff").casefold()).strip("_")
    key = key.replace("ё", "е")
    return HEADER_ALIASES.get(key, key)


def _choose_delimiter(text: str) -> str:
    """The delimiter under which the header line names the most known columns."""
    best, best_score = DELIMITERS[0], (-1, -1)
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            first = next((record for record in reader if any(cell.strip() for cell in record)), [])
        except csv.Error:
            continue
        score = (sum(_header_key(cell) in COLUMNS for cell in first), len(first))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_header(record: list[str]) -> tuple[list[str | None], dict[str, str]]:
    header: list[str | None] = []
    labels: dict[str, str] = {}
    unknown: list[str] = []
    twice: list[str] = []
    for cell in record:
        label = cell.strip().removeprefix("\ufeff").strip()
        if not label:
            header.append(None)
            continue
        column = _header_key(label)
        if column not in COLUMNS:
            unknown.append(label)
            header.append(None)
        elif column in labels:
            twice.append(
                _("“%(first)s” and “%(second)s” both mean %(column)s")
                % {"first": labels[column], "second": label, "column": column}
            )
            header.append(None)
        else:
            labels[column] = label
            header.append(column)
    problems = []
    missing = [column for column in REQUIRED_COLUMNS if column not in labels]
    if missing:
        problems.append(_("Missing required column: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(
            _("Unknown column(s): %(columns)s.") % {"columns": ", ".join(f"“{label}”" for label in unknown)}
        )
    if twice:
        problems.append(_("Duplicate columns: %(pairs)s.") % {"pairs": "; ".join(twice)})
    if problems:
        problems.append(
            _("Expected columns (in any order, only “client” is required): %(columns)s.")
            % {"columns": expected_columns_text()}
        )
        raise CsvFileError(*problems)
    return header, labels


def _read_row(number: int, record: list[str], header: list[str | None]) -> SourceRow:
    values = dict.fromkeys(COLUMNS, "")
    unnamed = []
    for position, cell in enumerate(record):
        value = unescape_cell(cell.strip())
        column = header[position] if position < len(header) else None
        if column is not None:
            values[column] = value
        elif value:
            unnamed.append(position + 1)
    return SourceRow(number=number, values=values, unnamed=unnamed)


def escape_cell(value: str) -> str:
    """A leading apostrophe on text a spreadsheet would run as a formula (CSV injection)."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_TRIGGERS) else value


def unescape_cell(value: str) -> str:
    """The inverse of `escape_cell`."""
    return value[1:] if value.startswith("'") and value.lstrip("'").startswith(FORMULA_TRIGGERS) else value


# --- 3. Rows to a plan ------------------------------------------------------------------------------


class Outcome(StrEnum):
    NEW_CLIENT = "new_client"
    ADD_TO_NEW = "add_to_new"
    ADD_TO_EXISTING = "add_to_existing"
    SKIP = "skip"
    ERROR = "error"

    @property
    def label(self) -> str:
        return {
            Outcome.NEW_CLIENT: _("New client"),
            Outcome.ADD_TO_NEW: _("Adds a contact to a new client"),
            Outcome.ADD_TO_EXISTING: _("Adds a contact to an existing client"),
            Outcome.SKIP: _("Nothing to import"),
            Outcome.ERROR: _("Error"),
        }[self]

    @property
    def badge_class(self) -> str:
        return {
            Outcome.NEW_CLIENT: "text-bg-success",
            Outcome.ADD_TO_NEW: "text-bg-success",
            Outcome.ADD_TO_EXISTING: "text-bg-info",
            Outcome.SKIP: "text-bg-secondary",
            Outcome.ERROR: "text-bg-danger",
        }[self]


@dataclass
class PlannedContact:
    row: int
    name: str
    email: str
    phone: str
    role: str
    is_primary: bool = False
    email_valid: bool = False


@dataclass
class PlannedClient:
    """A client the import creates (`client_id` None) or adds contacts to (an existing one)."""

    name: str
    first_row: int
    client_id: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    explicit: dict[str, int] = field(default_factory=dict)  # field → the row that set it
    tags: dict[str, str] = field(default_factory=dict)  # casefolded name → name as first written
    contacts: list[PlannedContact] = field(default_factory=list)
    has_primary: bool = False


@dataclass
class RowResult:
    number: int
    client_name: str
    contact_name: str
    contact_email: str
    outcome: Outcome = Outcome.ERROR
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_error(self) -> bool:
        return self.outcome == Outcome.ERROR

    @property
    def messages(self) -> list[str]:
        return self.errors or self.notes


@dataclass
class ImportPlan:
    rows: list[RowResult] = field(default_factory=list)
    drafts: list[PlannedClient] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def error_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.is_error]

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and not self.error_rows

    @property
    def new_client_count(self) -> int:
        return sum(1 for draft in self.drafts if draft.client_id is None)

    @property
    def contact_count(self) -> int:
        return sum(len(draft.contacts) for draft in self.drafts)

    @property
    def existing_client_contact_count(self) -> int:
        return sum(len(draft.contacts) for draft in self.drafts if draft.client_id is not None)

    @property
    def skipped_count(self) -> int:
        return sum(1 for row in self.rows if row.outcome == Outcome.SKIP)

    @property
    def has_changes(self) -> bool:
        return self.new_client_count > 0 or self.contact_count > 0


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class _Known:
    """What the studio has now, loaded once: the import compares in Python, which is also
    case-insensitive for non-ASCII names on SQLite (whose LOWER() only folds ASCII)."""

    current: dict[str, list[tuple[int, str]]]  # name key → (pk, name) of current clients
    archived: set[str]
    emails: dict[str, tuple[str, str]]  # email → (contact name, client name)
    with_primary: set[int]

    @classmethod
    def load(cls, studio: Studio) -> _Known:
        current: dict[str, list[tuple[int, str]]] = {}
        archived: set[str] = set()
        for pk, name, archived_at in Client.objects.filter(studio=studio).values_list("pk", "name", "archived_at"):
            if archived_at is None:
                current.setdefault(_key(name), []).append((pk, name))
            else:
                archived.add(_key(name))
        emails: dict[str, tuple[str, str]] = {}
        with_primary: set[int] = set()
        contacts = Contact.objects.filter(studio=studio).values_list(
            "email", "other_emails", "name", "client__name", "client_id", "is_primary"
        )
        for email, other_emails, name, client_name, client_id, is_primary in contacts:
            for address in [email, *(other_emails or [])]:
                emails.setdefault(str(address).strip().lower(), (name, client_name))
            if is_primary:
                with_primary.add(client_id)
        return cls(current=current, archived=archived, emails=emails, with_primary=with_primary)


def _choice_lookup(choices: Iterable[tuple[str, Any]], aliases: dict[str, str]) -> dict[str, str]:
    lookup = {key.casefold(): value for key, value in aliases.items()}
    for value, label in choices:
        lookup[value.casefold()] = value
        for language, _name in settings.LANGUAGES:
            with override(language):
                lookup[str(label).casefold()] = value
    return lookup


def _language_lookup() -> dict[str, str]:
    lookup = dict(LANGUAGE_ALIASES)
    for code, name in settings.LANGUAGES:
        lookup[code.casefold()] = code
        lookup[str(name).casefold()] = code
    return lookup


class _Cleaner:
    """Turns one row's raw values into model values, collecting errors in the file's own words."""

    def __init__(self, parsed: ParsedFile) -> None:
        self.parsed = parsed
        self.kinds = _choice_lookup(Client.Kind.choices, KIND_ALIASES)
        self.statuses = _choice_lookup(Client.Status.choices, STATUS_ALIASES)
        self.languages = _language_lookup()

    def client(self, values: dict[str, str], errors: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """(fields with defaults filled in, tags by key)."""
        label = self.parsed.label
        fields: dict[str, Any] = {
            "kind": Client.Kind.COMPANY,
            "status": Client.Status.ACTIVE,
            "language": Client._meta.get_field("language").default,
            "notes": values["notes"],
            "difficulty": 0,
        }
        if raw := values["kind"]:
            if (kind := self.kinds.get(raw.casefold())) is None:
                errors.append(
                    _("%(column)s: “%(value)s” is not a kind we know; use company or person.")
                    % {"column": label("kind"), "value": raw}
                )
            fields["kind"] = kind or fields["kind"]
        if raw := values["status"]:
            if (status := self.statuses.get(raw.casefold())) is None:
                errors.append(
                    _("%(column)s: “%(value)s” is not a status we know; use lead, active or past.")
                    % {"column": label("status"), "value": raw}
                )
            fields["status"] = status or fields["status"]
        if raw := values["language"]:
            code = self.languages.get(raw.casefold()) or self.languages.get(re.split(r"[-_]", raw)[0].casefold())
            if code is None:
                errors.append(
                    _("%(column)s: “%(value)s” is not a language we know; use %(codes)s.")
                    % {
                        "column": label("language"),
                        "value": raw,
                        "codes": ", ".join(code for code, _name in settings.LANGUAGES),
                    }
                )
            fields["language"] = code or fields["language"]
        if raw := values["difficulty"]:
            if re.fullmatch(r"[0-3](\.0+)?", raw) is None:
                errors.append(
                    _("%(column)s: “%(value)s” is not a difficulty; use a whole number from 0 (easy) to 3.")
                    % {"column": label("difficulty"), "value": raw}
                )
            else:
                fields["difficulty"] = int(float(raw))
        tags: dict[str, str] = {}
        for name in TAG_SEPARATORS.split(values["tags"]):
            name = " ".join(name.split())
            if not name:
                continue
            if len(name) > Tag._meta.get_field("name").max_length:
                errors.append(
                    _("%(column)s: “%(value)s” is longer than %(max)s characters.")
                    % {"column": label("tags"), "value": name, "max": Tag._meta.get_field("name").max_length}
                )
            tags.setdefault(name.casefold(), name)
        return fields, tags

    def contact(self, row: SourceRow, errors: list[str]) -> PlannedContact | None:
        values, label = row.values, self.parsed.label
        if not any(values[column] for column in CONTACT_COLUMNS):
            return None
        name, email = " ".join(values["contact_name"].split()), values["contact_email"].lower()
        email_valid = False
        if not name:
            errors.append(
                _("%(column)s is empty: a contact needs a name and an email address.")
                % {"column": label("contact_name")}
            )
        if not email:
            errors.append(
                _("%(column)s is empty: a contact needs a name and an email address.")
                % {"column": label("contact_email")}
            )
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(
                    _("%(column)s: “%(value)s” is not an email address.")
                    % {"column": label("contact_email"), "value": values["contact_email"]}
                )
            else:
                email_valid = True
        draft = PlannedContact(
            row=row.number,
            name=name,
            email=email,
            phone=values["contact_phone"],
            role=values["contact_role"],
            email_valid=email_valid,
        )
        for column, attribute in (("contact_name", "name"), ("contact_phone", "phone"), ("contact_role", "role")):
            limit = Contact._meta.get_field(attribute).max_length
            if len(getattr(draft, attribute)) > limit:
                errors.append(
                    _("%(column)s is longer than %(max)s characters.") % {"column": label(column), "max": limit}
                )
        return draft


def validate(parsed: ParsedFile, *, studio: Studio) -> ImportPlan:
    """Every row's outcome against the studio's data as it is now. Writes nothing."""
    known = _Known.load(studio)
    cleaner = _Cleaner(parsed)
    plan = ImportPlan()
    drafts: dict[str, PlannedClient] = {}
    emails_seen: dict[str, int] = {}
    name_limit = Client._meta.get_field("name").max_length
    label = parsed.label

    for row in parsed.rows:
        values = row.values
        name = " ".join(values["client"].split())
        result = RowResult(
            number=row.number,
            client_name=name,
            contact_name=values["contact_name"],
            contact_email=values["contact_email"],
        )
        plan.rows.append(result)
        errors = result.errors
        if row.unnamed:
            errors.append(
                _("This row has values in column(s) %(positions)s, which have no header.")
                % {"positions": ", ".join(str(position) for position in row.unnamed)}
            )
        if not name:
            errors.append(_("%(column)s is empty: every row needs the client's name.") % {"column": label("client")})
        elif len(name) > name_limit:
            errors.append(
                _("%(column)s is longer than %(max)s characters.") % {"column": label("client"), "max": name_limit}
            )
        fields, tags = cleaner.client(values, errors)
        contact = cleaner.contact(row, errors)
        if contact is not None and contact.email_valid:
            if (earlier := emails_seen.get(contact.email)) is not None:
                errors.append(
                    _("%(email)s is also on row %(row)s: each contact email can be imported once.")
                    % {"email": contact.email, "row": earlier}
                )
            elif (owner := known.emails.get(contact.email)) is not None:
                errors.append(
                    _("%(email)s already belongs to %(contact)s at %(client)s.")
                    % {"email": contact.email, "contact": owner[0], "client": owner[1]}
                )
            emails_seen.setdefault(contact.email, row.number)
        if not name:
            continue

        key = _key(name)
        matches = known.current.get(key, [])
        if len(matches) > 1:
            errors.append(
                _("%(count)s current clients are called “%(name)s”, so the row can't tell which one is meant.")
                % {"count": len(matches), "name": name}
            )
            continue
        draft = drafts.get(key)
        if draft is None:
            draft = PlannedClient(name=name, first_row=row.number)
            if matches:
                draft.client_id, draft.name = matches[0]
                draft.has_primary = draft.client_id in known.with_primary
            else:
                draft.fields = fields
                draft.explicit = {column: row.number for column in CLIENT_FIELDS if values[column]}
                draft.tags = dict(tags)
            drafts[key] = draft
            plan.drafts.append(draft)
            first_of_new_client = draft.client_id is None
        else:
            first_of_new_client = False
            if draft.client_id is None and not errors:
                _merge_repeated_row(draft, row, fields, tags, errors, label)

        if errors:
            continue
        if contact is not None:
            contact.is_primary = not draft.has_primary
            draft.has_primary = True
            draft.contacts.append(contact)
        if draft.client_id is not None:
            _existing_outcome(result, draft, contact, values)
        elif first_of_new_client:
            result.outcome = Outcome.NEW_CLIENT
            if contact is not None:
                result.notes.append(_("%(name)s becomes the primary contact.") % {"name": contact.name})
            if key in known.archived:
                result.notes.append(_("An archived client has the same name; this creates a new client."))
        else:
            same = _("Same client as row %(row)s.") % {"row": draft.first_row}
            result.outcome = Outcome.ADD_TO_NEW if contact is not None else Outcome.SKIP
            result.notes.append(same)
            if contact is not None and contact.is_primary:
                result.notes.append(_("%(name)s becomes the primary contact.") % {"name": contact.name})
    return plan


def _merge_repeated_row(
    draft: PlannedClient,
    row: SourceRow,
    fields: dict[str, Any],
    tags: dict[str, str],
    errors: list[str],
    label: Any,
) -> None:
    """A later row of a client this file creates: its client columns may repeat or fill in, not differ."""
    for column in CLIENT_FIELDS:
        if not row.values[column]:
            continue
        if column not in draft.explicit:
            draft.fields[column] = fields[column]
            draft.explicit[column] = row.number
        elif draft.fields[column] != fields[column]:
            errors.append(
                _("%(column)s differs from row %(row)s for the same client; leave it empty or repeat it.")
                % {"column": label(column), "row": draft.explicit[column]}
            )
    for key, name in tags.items():
        draft.tags.setdefault(key, name)


def _existing_outcome(result: RowResult, draft: PlannedClient, contact: PlannedContact | None, values: dict) -> None:
    if contact is None:
        result.outcome = Outcome.SKIP
        result.notes.append(_("Already a client, and this row has no contact."))
    else:
        result.outcome = Outcome.ADD_TO_EXISTING
        result.client_name = draft.name
        if contact.is_primary:
            result.notes.append(_("%(name)s becomes the primary contact.") % {"name": contact.name})
    if any(values[column] for column in (*CLIENT_FIELDS, "tags")):
        result.notes.append(_("The client's other columns are ignored: existing clients are not changed."))


def preview(text: str, *, studio: Studio) -> ImportPlan:
    """`parse` and `validate` together; a file-level problem becomes `plan.file_errors`."""
    try:
        parsed = parse(text)
    except CsvFileError as error:
        return ImportPlan(file_errors=error.messages)
    return validate(parsed, studio=studio)


# --- 4. Commit --------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    plan: ImportPlan
    committed: bool
    retryable: bool = False  # failed only on a clash with a concurrent change: the same text may go through now
    clients_created: int = 0
    contacts_created: int = 0


class _Rollback(Exception):
    pass


def commit_import(text: str, *, studio: Studio) -> ImportResult:
    """Validate again against the data as it is now, and write everything or nothing."""
    try:
        with transaction.atomic():
            # One import per studio at a time: a double-clicked commit waits, then finds its rows taken.
            Studio.objects.select_for_update().filter(pk=studio.pk).first()
            plan = preview(text, studio=studio)
            if not plan.is_valid:
                raise _Rollback
            clients_created, contacts_created = _write(plan, studio)
    except _Rollback:
        return ImportResult(plan=plan, committed=False)
    except IntegrityError:
        plan = preview(text, studio=studio)  # the rolled-back attempt left ids on the drafts
        plan.file_errors.append(
            _("Someone changed the same clients or contacts while this import ran. Nothing was imported; try again.")
        )
        return ImportResult(plan=plan, committed=False, retryable=True)
    return ImportResult(plan=plan, committed=True, clients_created=clients_created, contacts_created=contacts_created)


def _bulk_create(model: type[Model], objects: list[Any]) -> None:
    if not objects:
        return
    if connection.features.can_return_rows_from_bulk_insert:
        model._default_manager.bulk_create(objects, batch_size=500)
    else:  # pragma: no cover - every backend we deploy on returns the new ids
        for obj in objects:
            obj.save(force_insert=True)


def _write(plan: ImportPlan, studio: Studio) -> tuple[int, int]:
    tag_names: dict[str, str] = {}
    for draft in plan.drafts:
        for key, name in draft.tags.items():
            tag_names.setdefault(key, name)
    tags = {tag.name.casefold(): tag for tag in Tag.objects.filter(studio=studio)} if tag_names else {}
    new_tags = [Tag(studio=studio, name=name) for key, name in tag_names.items() if key not in tags]
    _bulk_create(Tag, new_tags)
    tags.update({tag.name.casefold(): tag for tag in new_tags})

    new_drafts = [draft for draft in plan.drafts if draft.client_id is None]
    clients = [Client(studio=studio, name=draft.name, **draft.fields) for draft in new_drafts]
    _bulk_create(Client, clients)
    for draft, client in zip(new_drafts, clients, strict=True):
        draft.client_id = client.pk
    refresh_next_touch(studio, [client.pk for client in clients])

    through = Client.tags.through
    _bulk_create(
        through,
        [through(client_id=draft.client_id, tag_id=tags[key].pk) for draft in new_drafts for key in draft.tags],
    )
    contacts = [
        Contact(
            studio=studio,
            client_id=draft.client_id,
            name=contact.name,
            email=contact.email,
            phone=contact.phone,
            role=contact.role,
            is_primary=contact.is_primary,
        )
        for draft in plan.drafts
        for contact in draft.contacts
    ]
    _bulk_create(Contact, contacts)
    if contacts:
        contacts_changed.send(
            sender=Contact,
            studio=studio,
            client_ids=frozenset(contact.client_id for contact in contacts),
            now=timezone.now(),
        )
    return len(clients), len(contacts)


# --- Carrying the upload from preview to commit -----------------------------------------------------

SESSION_KEY = "clients_csv_import"


@dataclass
class PendingImport:
    token: str
    text: str
    filename: str


def stash(session: MutableMapping[str, Any], *, studio: Studio, text: str, filename: str) -> str:
    """Keep the decoded upload server-side for the commit; returns the token the commit form posts."""
    if len(text) > MAX_BYTES:  # decoding never makes text longer than its bytes
        raise ValueError("The text is longer than any accepted upload.")
    token = secrets.token_urlsafe(24)
    session[SESSION_KEY] = {"token": token, "studio": studio.pk, "text": text, "filename": filename[:200]}
    return token


def pending(session: MutableMapping[str, Any], *, token: str, studio: Studio) -> PendingImport | None:
    """The upload waiting under `token` for this studio, if any."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not token or data.get("studio") != studio.pk:
        return None
    if not secrets.compare_digest(str(data.get("token", "")).encode(), token.encode()):
        return None
    return PendingImport(token=token, text=data["text"], filename=data.get("filename", ""))


def discard(session: MutableMapping[str, Any]) -> None:
    session.pop(SESSION_KEY, None)


# --- Export -----------------------------------------------------------------------------------------


def export_rows(studio: Studio) -> Iterator[list[str]]:
    """The header, then per current client: a row with its primary contact, a row per other contact."""
    yield list(COLUMNS)
    contacts = Contact.objects.order_by("-is_primary", "name", "pk")
    clients = (
        Client.objects.filter(studio=studio, archived_at__isnull=True)
        .order_by("name", "pk")
        .prefetch_related("tags", Prefetch("contacts", queryset=contacts))
    )
    for client in clients:
        client_contacts = list(client.contacts.all())
        primary = client_contacts.pop(0) if client_contacts and client_contacts[0].is_primary else None
        yield [
            client.name,
            client.kind,
            client.status,
            client.language,
            "; ".join(tag.name for tag in client.tags.all()),
            client.notes,
            str(client.difficulty),
            *_contact_cells(primary),
        ]
        for contact in client_contacts:
            yield [client.name, "", "", "", "", "", "", *_contact_cells(contact)]


def _contact_cells(contact: Contact | None) -> list[str]:
    if contact is None:
        return ["", "", "", ""]
    return [contact.name, contact.email, contact.phone, contact.role]


def export_csv(studio: Studio) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads the letters right), comma-separated, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in export_rows(studio):
        writer.writerow([escape_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def vcard_escape(value: str) -> str:
    """A vCard 3.0 text value (RFC 2426 §5): backslash, comma, semicolon and newlines escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(char if char == "\n" or char >= " " else " " for char in value).replace("\x7f", " ")
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def vcard_fold(line: str, limit: int = 75) -> str:
    """Fold a content line at `limit` octets (RFC 2425 §5.8.1), never inside a UTF-8 character."""
    parts, current, size = [], [], 0
    room = limit
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > room:
            parts.append("".join(current))
            current, size, room = [], 0, limit - 1  # a continuation line starts with a space
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def vcard(contact: Contact, organisation: str) -> str:
    """One vCard. The whole name goes in N's given-name part: we don't guess which word is the surname."""
    name = vcard_escape(contact.name)
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:;{name};;;", f"FN:{name}", f"ORG:{vcard_escape(organisation)}"]
    if contact.role:
        lines.append(f"TITLE:{vcard_escape(contact.role)}")
    lines.append(f"EMAIL;TYPE=INTERNET,PREF:{vcard_escape(contact.email)}")
    lines.extend(f"EMAIL;TYPE=INTERNET:{vcard_escape(str(email))}" for email in contact.other_emails or [])
    if contact.phone:
        lines.append(f"TEL;TYPE=VOICE:{vcard_escape(contact.phone)}")
    lines.append("END:VCARD")
    return "".join(vcard_fold(line) + "\r\n" for line in lines)


def export_vcards(studio: Studio) -> str:
    """Every contact of the studio, as one vCard 3.0 file with CRLF line endings."""
    contacts = (
        Contact.objects.filter(studio=studio)
        .select_related("client")
        .order_by("client__name", "client_id", "-is_primary", "name", "pk")
    )
    return "".join(vcard(contact, contact.client.name) for contact in contacts)
