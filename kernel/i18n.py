"""Translations: compiling the catalogs, and the language a client is written to in.

The ``.po`` catalogs under ``locale/`` are the source; their compiled ``.mo`` files are build output
(not committed). ``compile_messages`` makes them with Babel, so neither a developer nor a fresh
machine needs GNU gettext: ``make messages`` (``python -m kernel.i18n``) runs it before ``run``,
``test`` and ``bench``, the test suite runs it when it starts, and the Docker build runs it once.
Only adding new strings to the catalogs (``make makemessages``) needs gettext.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def stale_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """The ``.po`` files whose ``.mo`` is missing or older than they are."""
    stale = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            stale.append(po_path)
    return stale


def compile_catalog(po_path: Path) -> Path:
    """Compile one ``.po`` to the ``.mo`` beside it; fuzzy entries are left out, as msgfmt does.

    The ``.mo`` is written to a temporary file and renamed, so a process reading it (a running
    server, a parallel test run) never sees half a file.
    """
    mo_path = po_path.with_suffix(".mo")
    locale = po_path.parent.parent.name
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    descriptor, temporary = tempfile.mkstemp(dir=po_path.parent, prefix=".", suffix=".mo.tmp")
    try:
        with os.fdopen(descriptor, "wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        # mkstemp makes the file private; the server may run as another user (the Docker image does).
        os.chmod(temporary, 0o644)
        os.replace(temporary, mo_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return mo_path


def compile_messages(*, stale_only: bool = True, locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compile every catalog under ``locale_dir`` (only those newer than their ``.mo`` by default).

    Returns the ``.mo`` files written; an up-to-date tree costs a few ``stat`` calls.
    """
    catalogs = stale_catalogs(locale_dir) if stale_only else sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))
    return [compile_catalog(po_path) for po_path in catalogs]


def supported_language(code: str | None) -> str:
    """``code`` if Rapport speaks it (``"ru"``, ``"en"``; ``"ru-RU"`` → ``"ru"``), else the default language."""
    known = {language for language, _name in settings.LANGUAGES}
    code = (code or "").lower()
    for candidate in (code, code.split("-")[0]):
        if candidate in known:
            return candidate
    return settings.LANGUAGE_CODE


def main(argv: list[str]) -> int:
    written = compile_messages(stale_only="--all" not in argv)
    for mo_path in written:
        print(f"compiled {mo_path.relative_to(LOCALE_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
