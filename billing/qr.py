"""Bank-transfer QR codes: the payload strings banking apps read, and the code drawn by segno.

Two payloads, chosen by the invoice's currency:

- ``epc_payload`` -- EPC069-12 "Quick Response Code: Guidelines to Enable Data Capture for the
  Initiation of a SEPA Credit Transfer" (the European Payments Council's "EPC QR code", sold as
  GiroCode), for euro.
- ``gost_payload`` -- ГОСТ Р 56042-2014 "Стандарты финансовых операций. Двумерные символы
  штрихового кода для осуществления платежей физических лиц", for roubles.

Pure functions: no Django, no clock, no database; importable without settings. Amounts are
integers in minor units (cents, kopecks); a ``bool`` or a ``float`` is refused, never rounded.
Every invalid input raises ``ValueError`` whose message starts with the field's name
(``"iban: ..."``), so a form can put the error on the right field.
"""

from __future__ import annotations

import io
import re
import unicodedata

import segno
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import iso11649
from stdnum.exceptions import ValidationError
from stdnum.ru import inn as stdnum_inn

__all__ = ["epc_payload", "gost_payload", "qr_png", "qr_svg"]

# --- EPC069-12 (SEPA credit transfer) -------------------------------------------------------------

EPC_SERVICE_TAG = "BCD"
EPC_VERSION = "002"  # version 2: the BIC may be left out inside the EEA
EPC_CHARACTER_SET = "1"  # 1 = UTF-8
EPC_IDENTIFICATION = "SCT"  # SEPA Credit Transfer
EPC_MAX_BYTES = 331  # the most a version-13 QR code holds at error level M, the limit the guideline sets
EPC_MAX_NAME = 70
EPC_MAX_TEXT = 140
EPC_MIN_AMOUNT = 1  # EUR 0.01
EPC_MAX_AMOUNT = 99_999_999_999  # EUR 999 999 999.99

# --- ГОСТ Р 56042-2014 -----------------------------------------------------------------------------

GOST_FORMAT_ID = "ST"
GOST_VERSION = "0001"
GOST_ENCODING = "2"  # 1 = windows-1251, 2 = UTF-8, 3 = KOI8-R
GOST_SEPARATOR = "|"
GOST_HEADER = GOST_FORMAT_ID + GOST_VERSION + GOST_ENCODING  # "ST00012"
GOST_MAX_NAME = 160
GOST_MAX_BANK_NAME = 45
GOST_MAX_PURPOSE = 210
GOST_MAX_SUM = 10**18 - 1  # Sum is at most 18 digits, in kopecks
# The Bank of Russia's control key for a 23-digit string (3 BIC digits + 20 account digits):
# weights 7, 1, 3 repeated; the last digits of the products must add up to a multiple of 10.
_CONTROL_WEIGHTS = ((7, 1, 3) * 8)[:23]
_KPP_RE = re.compile(r"\d{4}[\dA-Z]{2}\d{3}")


# --- Payloads --------------------------------------------------------------------------------------


def epc_payload(
    *,
    name: str,
    iban: str,
    amount_minor: int | None = None,
    bic: str = "",
    reference: str = "",
    text: str = "",
) -> str:
    """Return the EPC069-12 payload for a SEPA credit transfer of ``amount_minor`` euro cents to ``iban``.

    Lines, joined by ``\\n``: ``BCD``, ``002``, ``1`` (UTF-8), ``SCT``, the BIC (may be empty in
    version 002), the beneficiary's name (1-70 characters), the IBAN (compact, upper case, its
    ISO 13616 mod-97 check digits verified), the amount, the purpose code (always empty here),
    the structured reference (an ISO 11649 ``RF`` creditor reference, check digits verified), the
    unstructured text (at most 140 characters); ``reference`` and ``text`` exclude each other.
    Trailing empty lines are left out, as the guideline allows. The whole payload is at most 331
    bytes in UTF-8.

    Spaces inside the IBAN, BIC and reference are removed (``"BE72 0000 0000 1616"`` is fine);
    surrounding whitespace of the name and text is dropped. No value may hold a line break or
    another control character, which would shift the lines.

    The amount is ``EUR`` followed by the euros with ``.`` before the cents and no trailing zeros
    nor trailing point: 1234 cents -> ``EUR12.34``, 1230 -> ``EUR12.3``, 100 -> ``EUR1``, 1 ->
    ``EUR0.01``. That is the form of the guideline's own example: EPC069-12 writes the amount of
    its sample payload (``BCD/001/1/SCT/BHBLDEHHXXX/Franz Mustermänn/DE71110220330123456789/
    EUR12.3/GDDS/RF18539007547034``, lines shown here with ``/``) as ``EUR12.3``, and the widely
    quoted Belgian Red Cross sample pays ``EUR1``; the guideline asks for ``EUR`` followed by at
    most 12 characters with ``.`` as the decimal separator, nothing more. segno's own
    ``helpers.make_epc_qr`` writes amounts the same way. No amount (``None``) leaves the line empty,
    so the payer types it. Range: 1 to 99 999 999 999 cents (EUR 0.01 to EUR 999 999 999.99).
    """
    name = _text_value("name", name, max_length=EPC_MAX_NAME, required=True)
    iban_value = _epc_iban(iban)
    amount_line = "" if amount_minor is None else _epc_amount(amount_minor)
    bic_value = _epc_bic(bic)
    reference_value = _epc_reference(reference)
    text = _text_value("text", text, max_length=EPC_MAX_TEXT)
    if reference_value and text:
        raise ValueError("reference: give either a creditor reference or a text, not both")

    lines = [
        EPC_SERVICE_TAG,
        EPC_VERSION,
        EPC_CHARACTER_SET,
        EPC_IDENTIFICATION,
        bic_value,
        name,
        iban_value,
        amount_line,
        "",  # purpose code (ISO 20022 ExternalPurpose1Code): not used
        reference_value,
        text,
    ]
    payload = "\n".join(lines).rstrip("\n")
    size = len(payload.encode("utf-8"))
    if size > EPC_MAX_BYTES:
        # Only the name and the text can be long (their characters take up to 4 bytes each).
        field = "text" if text else "name"
        raise ValueError(f"{field}: the QR code would hold {size} bytes, more than the {EPC_MAX_BYTES} allowed")
    return payload


def gost_payload(
    *,
    name: str,
    personal_acc: str,
    bank_name: str,
    bic: str,
    corresp_acc: str,
    amount_minor: int | None = None,
    purpose: str = "",
    payee_inn: str = "",
    kpp: str = "",
) -> str:
    """Return the ГОСТ Р 56042-2014 payload for a rouble transfer of ``amount_minor`` kopecks.

    ``ST00012`` (format ``ST``, version ``0001``, encoding ``2`` = UTF-8) then ``|``-separated
    ``Key=value`` pairs: the mandatory block ``Name`` (≤ 160), ``PersonalAcc``, ``BankName``
    (≤ 45), ``BIC``, ``CorrespAcc`` in that order, then ``Sum`` (kopecks, 1 to 18 digits),
    ``Purpose`` (≤ 210), ``PayeeINN``, ``KPP`` when given.

    The BIC is 9 digits; both accounts are 20 digits and must pass the Bank of Russia's control
    key: the settlement account after the BIC's last 3 digits, the correspondent account after
    ``0`` and the BIC's 5th-6th digits, weights 7, 1, 3 repeated, the sum of the products' last
    digits ending in 0. The INN (10 or 12 digits) has its check digits verified; the KPP is 9
    characters (4 digits, 2 digits or capital letters, 3 digits) and belongs to an organisation,
    so it needs a 10-digit INN. No value may contain ``|`` or a control character; surrounding
    whitespace of the texts is dropped.
    """
    name = _text_value("name", name, max_length=GOST_MAX_NAME, required=True, forbidden=GOST_SEPARATOR)
    bank_name = _text_value(
        "bank_name", bank_name, max_length=GOST_MAX_BANK_NAME, required=True, forbidden=GOST_SEPARATOR
    )
    bic_value = _digits("bic", bic, length=9)
    personal_acc = _ru_account("personal_acc", personal_acc, key_prefix=bic_value[-3:])
    corresp_acc = _ru_account("corresp_acc", corresp_acc, key_prefix="0" + bic_value[4:6])
    purpose = _text_value("purpose", purpose, max_length=GOST_MAX_PURPOSE, forbidden=GOST_SEPARATOR)
    inn_value = _ru_inn(payee_inn)
    kpp_value = _ru_kpp(kpp, inn=inn_value)

    pairs = [
        ("Name", name),
        ("PersonalAcc", personal_acc),
        ("BankName", bank_name),
        ("BIC", bic_value),
        ("CorrespAcc", corresp_acc),
    ]
    if amount_minor is not None:
        pairs.append(("Sum", str(_amount("amount_minor", amount_minor, maximum=GOST_MAX_SUM))))
    if purpose:
        pairs.append(("Purpose", purpose))
    if inn_value:
        pairs.append(("PayeeINN", inn_value))
    if kpp_value:
        pairs.append(("KPP", kpp_value))
    return GOST_SEPARATOR.join([GOST_HEADER, *(f"{key}={value}" for key, value in pairs)])


# --- Drawing ---------------------------------------------------------------------------------------


def qr_svg(payload: str, *, scale: int = 4) -> str:
    """Draw ``payload`` as an inline SVG (no XML declaration, no script) to embed in a page.

    Error correction level M, as EPC069-12 requires, and the same for ГОСТ Р 56042-2014 payloads;
    byte mode, the text encoded in UTF-8 as both payloads declare (no ECI marker, like segno's
    own EPC helper).
    The modules are black on a white square with the 4-module quiet zone, so the code scans on a
    dark page too. The ``<svg>`` keeps ``width``/``height`` of ``scale`` pixels a module and gets a
    ``viewBox``, so CSS (``max-width: 100%; height: auto``) may shrink it on a narrow screen.
    """
    qr = _make_qr(payload)
    _check_scale(scale)
    svg = qr.svg_inline(scale=scale, dark="#000", light="#fff")
    size = qr.symbol_size(scale=scale)
    opening = f'<svg width="{size[0]}" height="{size[1]}"'
    if not svg.startswith(opening):  # pragma: no cover - guards a change of segno's output
        raise RuntimeError("segno's SVG output changed; billing.qr.qr_svg needs a look")
    return f'{opening} viewBox="0 0 {size[0]} {size[1]}"' + svg[len(opening) :]


def qr_png(payload: str, *, scale: int = 4) -> bytes:
    """Draw ``payload`` as PNG bytes (for the invoice PDF), with the same code as ``qr_svg``."""
    qr = _make_qr(payload)
    _check_scale(scale)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, dark="#000", light="#fff")
    return out.getvalue()


def _make_qr(payload: str) -> segno.QRCode:
    if not isinstance(payload, str) or not payload:
        raise ValueError("payload: must be a non-empty text")
    # boost_error=False keeps level M exactly, as segno's own EPC helper does.
    return segno.make_qr(payload, error="m", boost_error=False, mode="byte", encoding="utf-8")


def _check_scale(scale: int) -> None:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale: must be a whole number of pixels, 1 or more, got {scale!r}")


# --- Checks ----------------------------------------------------------------------------------------


def _require_str(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field}: must be text, got {type(value).__name__}")
    return value


def _text_value(field: str, value: object, *, max_length: int, required: bool = False, forbidden: str = "") -> str:
    """Strip ``value`` and check its length and characters; an empty optional value gives ``""``."""
    value = _require_str(field, value).strip()
    if not value:
        if required:
            raise ValueError(f"{field}: is required")
        return ""
    if len(value) > max_length:
        raise ValueError(f"{field}: at most {max_length} characters, got {len(value)}")
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or char in forbidden:
            raise ValueError(f"{field}: may not contain {char!r}")
    return value


def _amount(field: str, value: object, *, maximum: int) -> int:
    # bool is an int subclass: True would silently be one cent.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field}: must be a whole number of minor units, got {type(value).__name__}")
    if not 1 <= value <= maximum:
        raise ValueError(f"{field}: must be between 1 and {maximum}, got {value}")
    return value


def _epc_amount(amount_minor: object) -> str:
    cents = _amount("amount_minor", amount_minor, maximum=EPC_MAX_AMOUNT)
    euros, rest = divmod(cents, 100)
    if rest == 0:
        return f"EUR{euros}"
    return f"EUR{euros}.{rest:02d}".rstrip("0")


def _epc_iban(value: object) -> str:
    raw = _require_str("iban", value)
    if not raw.strip():
        raise ValueError("iban: is required")
    try:
        return stdnum_iban.validate(raw)
    except ValidationError as error:
        raise ValueError(f"iban: not a valid IBAN ({error.message})") from None


def _epc_bic(value: object) -> str:
    raw = _require_str("bic", value)
    if not raw.strip():
        return ""
    try:
        return stdnum_bic.validate(raw)
    except ValidationError as error:
        raise ValueError(f"bic: not a valid BIC of 8 or 11 characters ({error.message})") from None


def _epc_reference(value: object) -> str:
    raw = _require_str("reference", value)
    if not raw.strip():
        return ""
    try:
        return iso11649.validate(raw)
    except ValidationError as error:
        raise ValueError(f"reference: not a valid ISO 11649 creditor reference ({error.message})") from None


def _digits(field: str, value: object, *, length: int) -> str:
    text = _require_str(field, value).strip()
    if not text:
        raise ValueError(f"{field}: is required")
    # str.isdigit() accepts other scripts' digits and superscripts; only ASCII 0-9 will do.
    if len(text) != length or not text.isascii() or not text.isdigit():
        raise ValueError(f"{field}: must be {length} digits")
    return text


def _ru_account(field: str, value: object, *, key_prefix: str) -> str:
    account = _digits(field, value, length=20)
    key_string = key_prefix + account
    total = sum(int(digit) * weight % 10 for digit, weight in zip(key_string, _CONTROL_WEIGHTS, strict=True))
    if total % 10:
        raise ValueError(f"{field}: the control key does not match the account and the BIC")
    return account


def _ru_inn(value: object) -> str:
    raw = _require_str("payee_inn", value).strip()
    if not raw:
        return ""
    if not raw.isascii() or not raw.isdigit() or len(raw) not in (10, 12):
        raise ValueError("payee_inn: must be 10 or 12 digits")
    try:
        return stdnum_inn.validate(raw)
    except ValidationError as error:
        raise ValueError(f"payee_inn: not a valid INN ({error.message})") from None


def _ru_kpp(value: object, *, inn: str) -> str:
    kpp = _require_str("kpp", value).strip()
    if not kpp:
        return ""
    if not _KPP_RE.fullmatch(kpp):
        raise ValueError("kpp: must be 9 characters: 4 digits, 2 digits or capital letters, 3 digits")
    if len(inn) != 10:
        raise ValueError("kpp: only an organisation has a KPP; give its 10-digit payee_inn as well")
    return kpp
