"""ГОСТ Р 56042-2014 payloads: the standard's example, the Bank of Russia control key, every check."""

import pytest

from billing.qr import gost_payload

# The mandatory block of the example in ГОСТ Р 56042-2014 (its accounts pass the control key).
GOST_EXAMPLE = {
    "name": "ООО «Три кита»",
    "personal_acc": "40702810138250123017",
    "bank_name": 'ОАО "БАНК"',
    "bic": "044525225",
    "corresp_acc": "30101810400000000225",
}
GOST_EXAMPLE_PAYLOAD = (
    "ST00012|Name=ООО «Три кита»|PersonalAcc=40702810138250123017|"
    'BankName=ОАО "БАНК"|BIC=044525225|CorrespAcc=30101810400000000225'
)
INN_ORGANISATION = "7707083893"  # 10 digits, check digit verified
INN_PERSON = "500100732259"  # 12 digits, both check digits verified
KPP = "773601001"


def test_the_standards_example_mandatory_block():
    payload = gost_payload(**GOST_EXAMPLE)

    assert payload == GOST_EXAMPLE_PAYLOAD
    assert isinstance(payload, str)


def test_the_standards_example_with_sum_and_purpose():
    """The standard's example pays Sum=100000 (1 000 roubles, in kopecks) "Оплата членского взноса"."""
    payload = gost_payload(**GOST_EXAMPLE, amount_minor=100_000, purpose="Оплата членского взноса")

    assert payload == GOST_EXAMPLE_PAYLOAD + "|Sum=100000|Purpose=Оплата членского взноса"


def test_the_optional_fields_follow_in_order():
    payload = gost_payload(
        **GOST_EXAMPLE, amount_minor=150_050, purpose="Счёт 2026-0042", payee_inn=INN_ORGANISATION, kpp=KPP
    )

    assert payload.split("|") == [
        "ST00012",
        "Name=ООО «Три кита»",
        "PersonalAcc=40702810138250123017",
        'BankName=ОАО "БАНК"',
        "BIC=044525225",
        "CorrespAcc=30101810400000000225",
        "Sum=150050",
        "Purpose=Счёт 2026-0042",
        "PayeeINN=7707083893",
        "KPP=773601001",
    ]


def test_a_person_pays_to_a_twelve_digit_inn_without_kpp():
    payload = gost_payload(**GOST_EXAMPLE, payee_inn=INN_PERSON)

    assert payload == GOST_EXAMPLE_PAYLOAD + "|PayeeINN=500100732259"


def test_the_header_says_version_0001_and_utf_8():
    assert gost_payload(**GOST_EXAMPLE).startswith("ST0001" + "2" + "|")


@pytest.mark.parametrize(
    ("bic", "corresp_acc"),
    [
        # Real banks' published BICs and correspondent accounts: the control key as DESIGN.md states it.
        ("044525974", "30101810145250000974"),
        ("044525187", "30101810700000000187"),
        ("044525593", "30101810200000000593"),
        ("044030653", "30101810500000000653"),
    ],
)
def test_real_correspondent_accounts_pass_the_control_key(bic, corresp_acc):
    payload = gost_payload(
        name="ИП Иванов",
        personal_acc=settlement_account(bic),
        bank_name="Банк",
        bic=bic,
        corresp_acc=corresp_acc,
    )

    assert f"|CorrespAcc={corresp_acc}" in payload


def settlement_account(bic: str) -> str:
    """A 40802 (sole trader) account whose 9th digit, the control digit, is worked out for ``bic``."""
    weights = [7, 1, 3] * 8
    for check in "0123456789":
        account = "40802810" + check + "00000012345"
        digits = bic[-3:] + account
        if sum(int(d) * w % 10 for d, w in zip(digits, weights, strict=False)) % 10 == 0:
            return account
    raise AssertionError("one digit always fits")


def test_surrounding_whitespace_of_the_texts_is_dropped():
    payload = gost_payload(**{**GOST_EXAMPLE, "name": "  ООО «Три кита» "}, purpose=" Оплата ")

    assert "|Name=ООО «Три кита»|" in payload
    assert payload.endswith("|Purpose=Оплата")


def wrong_key(account: str) -> str:
    """The same account with its control digit (the 9th) changed."""
    return account[:8] + str((int(account[8]) + 1) % 10) + account[9:]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 161}, "name"),
        ({"name": "ООО|Три кита"}, "name"),
        ({"name": "ООО\nТри кита"}, "name"),
        ({"name": None}, "name"),
        ({"personal_acc": ""}, "personal_acc"),
        ({"personal_acc": "4070281013825012301"}, "personal_acc"),  # 19 digits
        ({"personal_acc": "407028101382501230170"}, "personal_acc"),  # 21 digits
        ({"personal_acc": "4070281013825012301A"}, "personal_acc"),
        ({"personal_acc": "40702810138250123O17"}, "personal_acc"),  # a letter O
        ({"personal_acc": "４０７０２８１０１３８２５０１２３０１７"}, "personal_acc"),  # fullwidth digits
        ({"personal_acc": wrong_key("40702810138250123017")}, "personal_acc"),
        ({"personal_acc": "40702810438250123017"}, "personal_acc"),
        ({"personal_acc": 40702810138250123017}, "personal_acc"),
        ({"bank_name": ""}, "bank_name"),
        ({"bank_name": "Б" * 46}, "bank_name"),
        ({"bank_name": "ОАО|БАНК"}, "bank_name"),
        ({"bank_name": None}, "bank_name"),
        ({"bic": ""}, "bic"),
        ({"bic": "04452522"}, "bic"),
        ({"bic": "0445252250"}, "bic"),
        ({"bic": "04452522X"}, "bic"),
        ({"bic": "SABRRUMM"}, "bic"),  # a SWIFT BIC is not the Bank of Russia's
        ({"bic": 44525225}, "bic"),
        ({"corresp_acc": ""}, "corresp_acc"),
        ({"corresp_acc": "3010181040000000022"}, "corresp_acc"),
        ({"corresp_acc": wrong_key("30101810400000000225")}, "corresp_acc"),
        ({"corresp_acc": "30101810500000000653"}, "corresp_acc"),  # a St Petersburg bank's
        ({"corresp_acc": None}, "corresp_acc"),
        ({"purpose": "x" * 211}, "purpose"),
        ({"purpose": "Оплата|счёта"}, "purpose"),
        ({"purpose": "Оплата\tсчёта"}, "purpose"),
        ({"purpose": 42}, "purpose"),
        ({"payee_inn": "7707083894"}, "payee_inn"),  # check digit wrong
        ({"payee_inn": "500100732258"}, "payee_inn"),
        ({"payee_inn": "770708389"}, "payee_inn"),  # 9 digits
        ({"payee_inn": "77070838931"}, "payee_inn"),  # 11 digits
        ({"payee_inn": "77O7083893"}, "payee_inn"),
        ({"payee_inn": 7707083893}, "payee_inn"),
        ({"payee_inn": INN_ORGANISATION, "kpp": "77360100"}, "kpp"),  # 8 characters
        ({"payee_inn": INN_ORGANISATION, "kpp": "7736010011"}, "kpp"),
        ({"payee_inn": INN_ORGANISATION, "kpp": "7736ab001"}, "kpp"),
        ({"payee_inn": INN_ORGANISATION, "kpp": "77360100A"}, "kpp"),
        ({"payee_inn": INN_ORGANISATION, "kpp": "77|601001"}, "kpp"),
        ({"payee_inn": INN_ORGANISATION, "kpp": 773601001}, "kpp"),
        ({"kpp": KPP}, "kpp"),  # a KPP with no INN
        ({"payee_inn": INN_PERSON, "kpp": KPP}, "kpp"),  # a person has no KPP
        ({"amount_minor": 0}, "amount_minor"),
        ({"amount_minor": -1}, "amount_minor"),
        ({"amount_minor": 10**18}, "amount_minor"),
        ({"amount_minor": True}, "amount_minor"),
        ({"amount_minor": 1000.0}, "amount_minor"),
        ({"amount_minor": "1000"}, "amount_minor"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=rf"^{field}: "):
        gost_payload(**{**GOST_EXAMPLE, **changes})


def test_a_kpp_with_letters_in_the_reason_code_is_accepted():
    payload = gost_payload(**GOST_EXAMPLE, payee_inn=INN_ORGANISATION, kpp="7736AB001")

    assert payload.endswith("|KPP=7736AB001")


@pytest.mark.parametrize(("field", "limit"), [("name", 160), ("bank_name", 45), ("purpose", 210)])
def test_texts_at_their_length_limits(field, limit):
    payload = gost_payload(**{**GOST_EXAMPLE, field: "Ж" * limit})

    assert "Ж" * limit in payload
    with pytest.raises(ValueError, match=rf"^{field}: at most {limit} characters"):
        gost_payload(**{**GOST_EXAMPLE, field: "Ж" * (limit + 1)})


@pytest.mark.parametrize("amount_minor", [1, 10**18 - 1])
def test_the_sum_boundaries(amount_minor):
    assert gost_payload(**GOST_EXAMPLE, amount_minor=amount_minor).endswith(f"|Sum={amount_minor}")


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        gost_payload(*GOST_EXAMPLE.values())  # type: ignore[misc]
