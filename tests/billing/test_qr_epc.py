"""EPC069-12 (SEPA credit transfer) payloads: the guideline's examples, every check, the boundaries."""

from decimal import Decimal

import pytest

from billing.qr import epc_payload

# The beneficiary of the EPC069-12 guideline's own example payload.
SPEC_NAME = "Franz Mustermänn"
SPEC_IBAN = "DE71110220330123456789"
SPEC_BIC = "BHBLDEHHXXX"
SPEC_REFERENCE = "RF18539007547034"

RED_CROSS = {"name": "Red Cross of Belgium", "iban": "BE72000000001616", "bic": "BPOTBEB1"}
VALID = {"name": "Studio Nord", "iban": "NL91ABNA0417164300"}


def lines(payload: str) -> list[str]:
    return payload.split("\n")


def test_the_guidelines_example_in_version_002():
    """EPC069-12's sample is BCD/001/1/SCT/BHBLDEHHXXX/Franz Mustermänn/DE71…89/EUR12.3/GDDS/RF18….

    Rapport writes version 002 and no purpose code (GDDS), the rest is the sample line for line.
    """
    payload = epc_payload(name=SPEC_NAME, iban=SPEC_IBAN, bic=SPEC_BIC, amount_minor=1230, reference=SPEC_REFERENCE)

    assert payload == (
        "BCD\n002\n1\nSCT\nBHBLDEHHXXX\nFranz Mustermänn\nDE71110220330123456789\nEUR12.3\n\nRF18539007547034"
    )
    assert isinstance(payload, str)


def test_the_belgian_red_cross_sample():
    payload = epc_payload(**RED_CROSS, amount_minor=100, text="Urgency fund")

    assert payload == "BCD\n002\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616\nEUR1\n\n\nUrgency fund"


def test_the_smallest_payload_leaves_out_trailing_empty_lines():
    assert epc_payload(**VALID) == "BCD\n002\n1\nSCT\n\nStudio Nord\nNL91ABNA0417164300"


def test_an_amount_without_a_bic_keeps_the_empty_bic_line():
    assert lines(epc_payload(**VALID, amount_minor=4200)) == [
        "BCD",
        "002",
        "1",
        "SCT",
        "",
        "Studio Nord",
        "NL91ABNA0417164300",
        "EUR42",
    ]


def test_a_text_keeps_the_empty_purpose_and_reference_lines():
    payload = epc_payload(**VALID, text="Invoice 2026-0042")

    assert lines(payload)[7:] == ["", "", "", "Invoice 2026-0042"]
    assert len(lines(payload)) == 11


@pytest.mark.parametrize(
    ("amount_minor", "written"),
    [
        (1, "EUR0.01"),
        (10, "EUR0.1"),
        (99, "EUR0.99"),
        (100, "EUR1"),
        (1230, "EUR12.3"),
        (1234, "EUR12.34"),
        (1205, "EUR12.05"),
        (100_000, "EUR1000"),
        (99_999_999_999, "EUR999999999.99"),
    ],
)
def test_the_amount_is_written_as_in_the_guidelines_examples(amount_minor, written):
    assert lines(epc_payload(**VALID, amount_minor=amount_minor))[7] == written


def test_the_iban_bic_and_reference_are_written_compact_and_upper_case():
    payload = epc_payload(
        name=SPEC_NAME, iban="de71 1102 2033 0123 4567 89", bic="bhbl dehh xxx", reference="rf18 5390 0754 7034"
    )

    assert lines(payload)[4] == SPEC_BIC
    assert lines(payload)[6] == SPEC_IBAN
    assert lines(payload)[9] == SPEC_REFERENCE


def test_surrounding_whitespace_of_name_and_text_is_dropped():
    payload = epc_payload(name="  Studio Nord ", iban=VALID["iban"], text=" Invoice 7 ")

    assert lines(payload)[5] == "Studio Nord"
    assert lines(payload)[10] == "Invoice 7"


def test_an_eight_character_bic_is_kept_as_is():
    assert lines(epc_payload(**RED_CROSS))[4] == "BPOTBEB1"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 71}, "name"),
        ({"name": "Studio\nNord"}, "name"),
        ({"name": "Studio\rNord"}, "name"),
        ({"name": "Studio\tNord"}, "name"),
        ({"name": "Studio\u2028Nord"}, "name"),
        ({"name": None}, "name"),
        ({"name": 42}, "name"),
        ({"iban": ""}, "iban"),
        ({"iban": "NL91ABNA0417164301"}, "iban"),  # check digits wrong
        ({"iban": "NL91ABNA041716430"}, "iban"),  # too short for NL
        ({"iban": "XX91ABNA0417164300"}, "iban"),  # no such country
        ({"iban": "NL91ABNA04171643OO"}, "iban"),  # letters where digits belong
        ({"iban": None}, "iban"),
        ({"bic": "ABNANL2"}, "bic"),  # 7 characters
        ({"bic": "ABNANL2AXX"}, "bic"),  # 10 characters
        ({"bic": "ABNANL2AXXXX"}, "bic"),  # 12 characters
        ({"bic": "ABNAXX2A"}, "bic"),  # no such country
        ({"bic": "1BNANL2A"}, "bic"),  # the institution code is letters
        ({"bic": None}, "bic"),
        ({"reference": "RF19539007547034"}, "reference"),  # check digits wrong
        ({"reference": "RF18"}, "reference"),  # too short
        ({"reference": "RF18" + "1" * 22}, "reference"),  # longer than 25
        ({"reference": "+++090/9337/55493+++"}, "reference"),  # Belgian OGM is not ISO 11649
        ({"reference": "Invoice 7"}, "reference"),
        ({"reference": 18}, "reference"),
        ({"text": "x" * 141}, "text"),
        ({"text": "Invoice\n7"}, "text"),
        ({"text": b"Invoice 7"}, "text"),
        ({"reference": SPEC_REFERENCE, "text": "Invoice 7"}, "reference"),
        ({"amount_minor": 0}, "amount_minor"),
        ({"amount_minor": -100}, "amount_minor"),
        ({"amount_minor": 100_000_000_000}, "amount_minor"),
        ({"amount_minor": True}, "amount_minor"),
        ({"amount_minor": False}, "amount_minor"),
        ({"amount_minor": 12.5}, "amount_minor"),
        ({"amount_minor": 100.0}, "amount_minor"),
        ({"amount_minor": Decimal("100")}, "amount_minor"),
        ({"amount_minor": "100"}, "amount_minor"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(changes, field):
    kwargs = {**VALID, "bic": "ABNANL2A", **changes}

    with pytest.raises(ValueError, match=rf"^{field}: "):
        epc_payload(**kwargs)


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        epc_payload("Studio Nord", "NL91ABNA0417164300")  # type: ignore[misc]


@pytest.mark.parametrize(("field", "limit"), [("name", 70), ("text", 140)])
def test_name_and_text_at_their_length_limits(field, limit):
    payload = epc_payload(**{**VALID, field: "é" * limit})

    assert "é" * limit in lines(payload)
    with pytest.raises(ValueError, match=rf"^{field}: at most {limit} characters"):
        epc_payload(**{**VALID, field: "é" * (limit + 1)})


def text_of_bytes(size: int) -> str:
    """A text of exactly ``size`` UTF-8 bytes in at most 140 characters (``€`` is 3 bytes)."""
    threes, ones = divmod(size, 3)
    return "€" * threes + "a" * ones


def test_the_payload_may_fill_331_bytes_and_not_one_more():
    name = "ä" * 70  # 140 bytes
    base = epc_payload(name=name, iban="NL91ABNA0417164300", bic="ABNANL2AXXX", amount_minor=99_999_999_999)
    # The text follows three more line breaks (purpose, reference, text lines).
    room = 331 - len(base.encode()) - 3

    fitting = epc_payload(
        name=name, iban="NL91ABNA0417164300", bic="ABNANL2AXXX", amount_minor=99_999_999_999, text=text_of_bytes(room)
    )
    assert len(fitting.encode()) == 331
    assert len(text_of_bytes(room + 1)) <= 140
    with pytest.raises(ValueError, match=r"^text: the QR code would hold 332 bytes"):
        epc_payload(
            name=name,
            iban="NL91ABNA0417164300",
            bic="ABNANL2AXXX",
            amount_minor=99_999_999_999,
            text=text_of_bytes(room + 1),
        )


def test_ascii_payloads_of_the_longest_fields_stay_under_331_bytes():
    payload = epc_payload(
        name="N" * 70,
        iban="FR1420041010050500013M02606",
        bic="ABNANL2AXXX",
        amount_minor=99_999_999_999,
        text="T" * 140,
    )

    assert len(payload.encode()) <= 331


def test_a_name_too_heavy_in_bytes_is_named_when_there_is_no_text():
    with pytest.raises(ValueError, match=r"^name: the QR code would hold \d+ bytes, more than the 331 allowed"):
        epc_payload(name="😀" * 70, iban="NL91ABNA0417164300", bic="ABNANL2AXXX", amount_minor=99_999_999_999)
