"""The code drawn by segno: an inline SVG for pages, a PNG for the PDF; and billing.qr stays pure."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import segno

from billing.qr import epc_payload, gost_payload, qr_png, qr_svg

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EPC = epc_payload(
    name="Franz Mustermänn", iban="DE71110220330123456789", amount_minor=1230, reference="RF18539007547034"
)
GOST = gost_payload(
    name="ООО «Три кита»",
    personal_acc="40702810138250123017",
    bank_name='ОАО "БАНК"',
    bic="044525225",
    corresp_acc="30101810400000000225",
    amount_minor=100_000,
)


@pytest.mark.parametrize("payload", [EPC, GOST], ids=["epc", "gost"])
def test_the_svg_is_one_well_formed_svg_element_to_embed(payload):
    svg = qr_svg(payload)

    root = ET.fromstring(svg)  # noqa: S314 - our own output, parsed to prove it is well-formed
    assert root.tag.rpartition("}")[2] == "svg"
    assert not svg.startswith("<?xml")
    elements = list(root.iter())
    assert not [e.tag for e in elements if e.tag.rpartition("}")[2].lower() in ("script", "foreignobject")]
    assert not [name for e in elements for name in e.attrib if name.lower().startswith("on")]
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"


def test_the_scale_sets_the_size_in_pixels():
    small = ET.fromstring(qr_svg(EPC, scale=2))  # noqa: S314
    large = ET.fromstring(qr_svg(EPC, scale=4))  # noqa: S314

    assert int(large.get("width")) == 2 * int(small.get("width"))
    # The payload fits a version that, with its 4-module quiet zone, stays inside a 390 px screen at scale 4.
    assert int(large.get("width")) <= 390


@pytest.mark.parametrize("payload", [EPC, GOST], ids=["epc", "gost"])
def test_the_png_starts_with_the_png_signature(payload):
    png = qr_png(payload, scale=3)

    assert isinstance(png, bytes)
    assert png.startswith(PNG_SIGNATURE)


def test_the_code_uses_error_level_m_and_the_payloads_utf_8_bytes():
    """segno left alone would boost the level, or pick ISO 8859-1 for "ä" while the payload says UTF-8."""
    expected = segno.make_qr(EPC.encode("utf-8"), error="m", boost_error=False, mode="byte")
    by_default = segno.make_qr(EPC)

    assert expected.designator.endswith("M")
    assert by_default.matrix != expected.matrix
    size = expected.symbol_size(scale=1)[0]
    drawn = qr_svg(EPC, scale=1).replace(f' viewBox="0 0 {size} {size}"', "", 1)
    assert drawn == expected.svg_inline(scale=1, dark="#000", light="#fff")


def test_the_fullest_epc_payload_fits_version_13():
    """EPC069-12's 331 bytes are what a version-13 symbol holds at level M."""
    payload = epc_payload(
        name="ä" * 70, iban="NL91ABNA0417164300", bic="ABNANL2AXXX", amount_minor=99_999_999_999, text="€" * 32
    )
    assert len(payload.encode()) <= 331

    assert segno.make_qr(payload.encode(), error="m", boost_error=False, mode="byte").version <= 13


@pytest.mark.parametrize(
    ("payload", "scale", "field"),
    [
        ("", 4, "payload"),
        (None, 4, "payload"),
        (b"BCD", 4, "payload"),
        (EPC, 0, "scale"),
        (EPC, -1, "scale"),
        (EPC, 1.5, "scale"),
        (EPC, True, "scale"),
    ],
    ids=["empty", "none", "bytes", "scale-0", "scale-negative", "scale-float", "scale-bool"],
)
def test_bad_drawing_input_is_refused_naming_it(payload, scale, field):
    with pytest.raises(ValueError, match=rf"^{field}: "):
        qr_svg(payload, scale=scale)
    with pytest.raises(ValueError, match=rf"^{field}: "):
        qr_png(payload, scale=scale)


def test_billing_qr_imports_without_django():
    """The payload builders are pure: importable without settings, and they pull in no Django."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import sys, billing.qr; "
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'"
    )

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
