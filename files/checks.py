"""What an upload must be before it is kept: a safe name, a size within limits, bytes that match the name.

Pure functions (no database, no storage), so the rules are tested on their own.

The name's extension decides what a file is (``KINDS``: the type stored and served, and what the
bytes may look like for it); the bytes must then agree (``filetype`` reads their signature, or
they are text). Unknown extensions are refused, and so are programs, scripts and web pages
(``REFUSED_EXTENSIONS``, or bytes that are a program) whatever they look like: everything is
served as a download, but a client should never be handed something that runs on a double-click.
The table is explicit rather than ``mimetypes``, whose answers depend on the machine.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import PurePosixPath

import filetype
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

NAME_MAX_LENGTH = 150
# Enough of the file's start for every signature ``filetype`` knows.
HEAD_BYTES = 8192

# What the bytes are when ``filetype`` knows no signature but they read as text.
TEXT = "text/plain"
# The OLE compound file that old Office documents are (filetype names only some of them).
OLE = "application/x-ole-storage"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
ZIP = "application/zip"
SFNT = "application/font-sfnt"
WOFF = "application/font-woff"

# extension -> (the type stored and served, the types the bytes may be read as)
KINDS: dict[str, tuple[str, frozenset[str]]] = {
    ext: (stored, frozenset(sniffed))
    for ext, stored, sniffed in [
        (".png", "image/png", {"image/png", "image/apng"}),
        (".jpg", "image/jpeg", {"image/jpeg"}),
        (".jpeg", "image/jpeg", {"image/jpeg"}),
        (".gif", "image/gif", {"image/gif"}),
        (".webp", "image/webp", {"image/webp"}),
        (".tif", "image/tiff", {"image/tiff"}),
        (".tiff", "image/tiff", {"image/tiff"}),
        (".heic", "image/heic", {"image/heic"}),
        (".avif", "image/avif", {"image/avif"}),
        (".bmp", "image/bmp", {"image/bmp"}),
        (".psd", "image/vnd.adobe.photoshop", {"image/vnd.adobe.photoshop"}),
        (".svg", "image/svg+xml", {TEXT}),  # text that must hold an <svg> element (see content_type)
        (".pdf", "application/pdf", {"application/pdf"}),
        (".ai", "application/postscript", {"application/pdf", "application/postscript"}),
        (".eps", "application/postscript", {"application/postscript"}),
        (".zip", ZIP, {ZIP}),
        (".docx", DOCX, {DOCX, ZIP}),
        (".xlsx", XLSX, {XLSX, ZIP}),
        (".pptx", PPTX, {PPTX, ZIP}),
        (".odt", ODT, {ODT, ZIP}),
        (".ods", ODS, {ODS, ZIP}),
        (".odp", ODP, {ODP, ZIP}),
        (".doc", "application/msword", {"application/msword", OLE}),
        (".xls", "application/vnd.ms-excel", {"application/vnd.ms-excel", OLE}),
        (".ppt", "application/vnd.ms-powerpoint", {"application/vnd.ms-powerpoint", OLE}),
        (".rtf", "application/rtf", {"application/rtf", TEXT}),
        (".ttf", "font/ttf", {SFNT}),
        (".otf", "font/otf", {SFNT}),
        (".woff", "font/woff", {WOFF}),
        (".woff2", "font/woff2", {WOFF}),
        (".mp4", "video/mp4", {"video/mp4", "video/x-m4v"}),
        (".m4v", "video/mp4", {"video/mp4", "video/x-m4v"}),
        (".mov", "video/quicktime", {"video/quicktime", "video/mp4"}),
        (".webm", "video/webm", {"video/webm", "video/x-matroska"}),
        (".mp3", "audio/mpeg", {"audio/mpeg"}),
        (".wav", "audio/x-wav", {"audio/x-wav"}),
        (".m4a", "audio/mp4", {"audio/mp4", "video/mp4"}),
        (".txt", "text/plain", {TEXT}),
        (".csv", "text/csv", {TEXT}),
        (".md", "text/markdown", {TEXT}),
    ]
}
# The types Rapport keeps (as stored).
ALLOWED_TYPES = frozenset(stored for stored, _sniffed in KINDS.values())

# Programs, scripts, installers and web pages: refused even when the bytes read as plain text.
REFUSED_EXTENSIONS = frozenset(
    {
        ".exe", ".com", ".scr", ".pif", ".cpl", ".msi", ".msp", ".msix", ".appx", ".appxbundle", ".dll", ".sys",
        ".drv", ".ocx", ".bat", ".cmd", ".ps1", ".psm1", ".psd1", ".vbs", ".vbe", ".js", ".jse", ".mjs", ".cjs",
        ".wsf", ".wsh", ".hta", ".lnk", ".url", ".reg", ".inf", ".scf", ".jar", ".class", ".apk", ".aab", ".xapk",
        ".ipa", ".app", ".dmg", ".pkg", ".deb", ".rpm", ".run", ".bin", ".elf", ".so", ".dylib", ".sh", ".bash",
        ".zsh", ".csh", ".ksh", ".fish", ".command", ".py", ".pyc", ".pyw", ".pl", ".rb", ".php", ".php3", ".php4",
        ".php5", ".php7", ".phtml", ".phar", ".asp", ".aspx", ".jsp", ".cgi", ".html", ".htm", ".xhtml", ".shtml",
        ".mht", ".mhtml", ".xht", ".svgz", ".swf", ".wasm", ".xml", ".xsl", ".xslt", ".docm", ".xlsm", ".pptm",
        ".dotm", ".xltm", ".potm", ".ppam", ".xlam", ".sldm", ".iso", ".img", ".vhd", ".vhdx", ".lib", ".gadget",
        ".workflow", ".action", ".desktop", ".appimage",
    }
)  # fmt: skip
# Byte signatures of programs, refused whatever the name says.
EXECUTABLE_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-executable",
        "application/x-shockwave-flash",
        "application/wasm",
        "application/x-deb",
        "application/x-rpm",
        "application/x-google-chrome-extension",
        "application/vnd.ms-cab-compressed",
    }
)
# The only control characters a text file holds (tab, newlines, form feed, escape).
TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1b")


class FileRefused(ValueError):
    """An upload Rapport does not keep; the message says why in the reader's language."""


def safe_name(name: str) -> str:
    """The file's own name without any path, control characters or leading dots; letters of any script kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[<>:\"|?*]", "_", name).strip().lstrip(".").strip()
    name = re.sub(r"\s+", " ", name)
    name = name.rstrip(". ")  # Windows drops trailing dots and spaces: "run.exe." would run as "run.exe"
    if not name:
        return "file"
    if len(name) > NAME_MAX_LENGTH:
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: NAME_MAX_LENGTH - len(suffix)] + suffix
    return name


def extension(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def type_from_name(name: str) -> str:
    """The type a name says, from Rapport's own table; ``""`` for an extension Rapport does not keep."""
    kind = KINDS.get(extension(name))
    return kind[0] if kind else ""


def looks_like_text(head: bytes) -> bool:
    """True when the bytes read as text: UTF-8, UTF-16 with its mark, or a one-byte code page (cp1251, latin-1).

    ``head`` may be cut anywhere, even inside a character.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        body = head[2 : 2 + (len(head) - 2) // 2 * 2]
        encoding = "utf-16-le" if head.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as error:
            if error.start < len(body) - 4:  # a surrogate pair cut at the end is still text
                return False
            text = body[: error.start].decode(encoding)
        return not any(ord(ch) < 32 and ord(ch) not in TEXT_CONTROLS for ch in text)
    # UTF-8 and the one-byte code pages alike: binary formats hold control bytes (NUL first of all)
    # within their first kilobytes; text holds none but tabs and line ends.
    return not any(byte < 32 and byte not in TEXT_CONTROLS or byte == 0x7F for byte in head)


def type_from_bytes(head: bytes) -> str:
    """The content type the bytes say they are, ``text/plain`` for text, or ``""``."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if head.startswith(OLE_MAGIC):
        return OLE
    if looks_like_text(head):
        return TEXT
    return ""


def _text_of(head: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError:
            continue
    return head.decode("latin-1")


def content_type(*, name: str, head: bytes) -> str:
    """The type to store for a file: its name must be a kind Rapport keeps and its bytes must agree.

    Raises ``FileRefused`` otherwise, naming the file.
    """
    ext = extension(name)
    sniffed = type_from_bytes(head)
    if ext in REFUSED_EXTENSIONS or sniffed in EXECUTABLE_TYPES or (sniffed == TEXT and head.startswith(b"#!")):
        raise FileRefused(
            _("“%(name)s” is a program, a script or a web page: Rapport does not keep those, to keep everyone safe.")
            % {"name": name}
        )
    if ext not in KINDS:
        raise FileRefused(_("“%(name)s” is not a kind of file Rapport keeps.") % {"name": name})
    stored, accepted = KINDS[ext]
    if sniffed not in accepted or (stored == "image/svg+xml" and "<svg" not in _text_of(head).lower()):
        raise FileRefused(
            _("“%(name)s” does not contain what its name says; please check the file and upload it again.")
            % {"name": name}
        )
    return stored


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
