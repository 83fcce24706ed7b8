"""What an upload must be before it is kept: a safe name, a size within limits, bytes that match the name.

Pure functions (no database, no storage), so the rules are tested on their own.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from pathlib import PurePosixPath

import filetype
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

NAME_MAX_LENGTH = 150
# Enough of the file's start for every signature ``filetype`` knows.
HEAD_BYTES = 8192

# Types Rapport keeps: what clients and designers exchange. Everything is served as a download,
# never inline, so even SVG (which can hold a script) cannot run in the app's origin.
ALLOWED_TYPES = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/heic", "image/avif",
    "image/svg+xml", "image/vnd.adobe.photoshop", "image/bmp",
    "application/pdf", "application/zip", "application/postscript",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/msword", "application/vnd.ms-excel", "application/rtf",
    "font/woff", "font/woff2", "font/ttf", "font/otf",
    "video/mp4", "video/quicktime", "video/webm", "audio/mpeg", "audio/x-wav", "audio/mp4",
    "text/plain", "text/csv", "text/markdown",
}  # fmt: skip

# Containers whose sniffed type is broader than the name's: an .docx is a zip, an .ai is a PDF.
COMPATIBLE = {
    "application/zip": {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/zip",
    },
    "application/pdf": {"application/pdf", "application/postscript"},
    "text/plain": {"text/plain", "text/csv", "text/markdown", "image/svg+xml", "application/rtf"},
}

TEXT_EXTENSIONS = {
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".svg": "image/svg+xml",
    ".rtf": "application/rtf",
}


class FileRefused(ValueError):
    """An upload Rapport does not keep; the message says why in the reader's language."""


def safe_name(name: str) -> str:
    """The file's own name without any path, control characters or leading dots; letters of any script kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[<>:\"|?*]", "_", name).strip().lstrip(".").strip()
    name = re.sub(r"\s+", " ", name)
    if not name:
        return "file"
    if len(name) > NAME_MAX_LENGTH:
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: NAME_MAX_LENGTH - len(suffix)] + suffix
    return name


def type_from_name(name: str) -> str:
    suffix = PurePosixPath(name.lower()).suffix
    if suffix in TEXT_EXTENSIONS:
        return TEXT_EXTENSIONS[suffix]
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or ""


def type_from_bytes(head: bytes) -> str:
    """The content type the bytes say they are, or ``text/plain`` for UTF-8 text, or ``""``."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if b"\x00" in head:
        return ""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a character cut at the end of the head is still text
            return ""
    return "text/plain"


def content_type(*, name: str, head: bytes) -> str:
    """The type to store for a file: its bytes must be an allowed type and agree with its name.

    Raises ``FileRefused`` otherwise, naming the file.
    """
    sniffed = type_from_bytes(head)
    named = type_from_name(name)
    if not sniffed or (sniffed not in ALLOWED_TYPES and sniffed not in COMPATIBLE):
        raise FileRefused(_("“%(name)s” is not a kind of file Rapport keeps.") % {"name": name})
    if named == sniffed:
        return sniffed
    if named in COMPATIBLE.get(sniffed, ()):
        return named
    raise FileRefused(
        _("“%(name)s” does not contain what its name says; please check the file and upload it again.") % {"name": name}
    )


def within_limits(*, size: int, used: int, file_limit: int, studio_limit: int, name: str) -> None:
    """Raise ``FileRefused`` when one file or the studio's total would pass its limit."""
    if size > file_limit:
        raise FileRefused(
            _("“%(name)s” is larger than %(limit)s, the most one file may be.")
            % {"name": name, "limit": filesizeformat(file_limit)}
        )
    if used + size > studio_limit:
        raise FileRefused(
            _("There is no room left for “%(name)s”: the studio's files may take %(limit)s in all.")
            % {"name": name, "limit": filesizeformat(studio_limit)}
        )
