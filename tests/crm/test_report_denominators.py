"""Each report's share says what it is out of, in words that match what was counted (issue 14 §7)."""

import re

from django.conf import settings
from django.urls import reverse

from tests.crm.test_reports import fill, frozen  # noqa: F401 - the fixture is used by name


def text(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</span>', html, re.S)
    assert match, testid
    return " ".join(match.group(1).split())


def test_every_share_names_its_denominator(owner_client, studio, frozen):  # noqa: F811
    fill(studio, 3)

    html = owner_client.get(reverse("reports")).content.decode()

    assert text(html, "response-sla-base") == "3 of 3 client emails answered by their due time"
    friday = text(html, "friday-base")
    assert re.fullmatch(r"of (\d+) project-weeks in the last 12 weeks had the client hear from you that week "
                        r"\((\d+) of \1\)", friday), friday  # fmt: skip
    assert text(html, "deadlines-base") == "of 6 deadlines decided in the last 12 months kept (0 of 6)"
    assert text(html, "repeat-base") == "of 3 clients with a won project came back for another (3 of 3)"
    assert "replies on time" not in html
    assert "clients written to" not in html


def test_a_single_item_reads_in_the_singular_and_russian_counts_agree(owner_client, studio, frozen):  # noqa: F811
    fill(studio, 1)

    english = owner_client.get(reverse("reports")).content.decode()
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    russian = owner_client.get(reverse("reports")).content.decode()

    assert text(english, "response-sla-base") == "1 of 1 client email answered by its due time"
    assert text(english, "repeat-base") == "of 1 client with a won project came back for another (1 of 1)"
    assert text(russian, "response-sla-base") == "1 из 1 письма клиентов — ответ к сроку"
    assert text(russian, "repeat-base") == "из 1 клиента с выигранным проектом вернулись за новым (1 из 1)"
    assert text(russian, "deadlines-base").startswith("из 2 сроков с известным итогом")
