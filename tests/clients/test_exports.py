"""CSV export of clients (with their contacts) and vCard export of contacts."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from clients import csv_io
from clients.models import Client, Contact, Tag
from tests.factories import ClientFactory, ContactFactory


def csv_rows(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline="")))


def vcard_lines(response) -> list[str]:
    """Content lines of the export, unfolded (RFC 2425 §5.8.1)."""
    body = response.content.decode("utf-8")
    return body.replace("\r\n ", "").split("\r\n")[:-1]


def vcard_unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out.append("\n" if following in "nN" else following)
        else:
            out.append(char)
    return "".join(out)


def cards(response) -> list[dict[str, list[str]]]:
    """Each vCard as {property (with parameters): [raw values]}."""
    result: list[dict[str, list[str]]] = []
    for line in vcard_lines(response):
        name, _, value = line.partition(":")
        if line == "BEGIN:VCARD":
            result.append({})
        elif line != "END:VCARD":
            result[-1].setdefault(name, []).append(value)
    return result


@pytest.fixture
def acme(studio) -> Client:
    client = ClientFactory(
        studio=studio,
        name="Acme GmbH",
        kind=Client.Kind.COMPANY,
        status=Client.Status.LEAD,
        language="ru",
        notes="Pays late,\nbut pays",
        difficulty=2,
    )
    client.tags.set([Tag.objects.create(studio=studio, name="retainer"), Tag.objects.create(studio=studio, name="b2b")])
    ContactFactory(
        client=client, name="Zoe Primary", email="zoe@acme.example", phone="+49 30 1", role="CEO", is_primary=True
    )
    ContactFactory(client=client, name="Adam Second", email="adam@acme.example")
    return client


# --- CSV -------------------------------------------------------------------------------------------------


def test_the_csv_export_is_an_attachment_in_utf8_with_the_import_columns(owner_client: Browser, studio, acme):
    response = owner_client.get(reverse("clients:export_csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="northlight-clients-')
    assert "no-store" in response["Cache-Control"]
    assert csv_rows(response)[0] == list(csv_io.COLUMNS)
    assert b"\r\n" in response.content


def test_each_client_has_a_row_with_its_primary_contact_and_a_row_per_other_contact(owner_client, studio, acme):
    ClientFactory(studio=studio, name="Bare Client")

    rows = csv_rows(owner_client.get(reverse("clients:export_csv")))

    assert rows[1:] == [
        ["Acme GmbH", "company", "lead", "ru", "b2b; retainer", "Pays late,\nbut pays", "2",
         "Zoe Primary", "zoe@acme.example", "'+49 30 1", "CEO"],
        ["Acme GmbH", "", "", "", "", "", "", "Adam Second", "adam@acme.example", "", ""],
        ["Bare Client", "company", "active", "en", "", "", "0", "", "", "", ""],
    ]  # fmt: skip


def test_archived_clients_are_left_out_of_the_csv_export(owner_client, studio):
    ClientFactory(studio=studio, name="Gone", archived_at=timezone.now())

    rows = csv_rows(owner_client.get(reverse("clients:export_csv")))

    assert rows == [list(csv_io.COLUMNS)]


def test_cells_a_spreadsheet_would_run_as_formulas_are_escaped(owner_client, studio):
    client = ClientFactory(studio=studio, name='=HYPERLINK("http://evil.example")', notes="@SUM(A1)")
    ContactFactory(client=client, name="-2+3", email="x@y.example", role="'=already quoted", is_primary=True)

    row = csv_rows(owner_client.get(reverse("clients:export_csv")))[1]

    assert row[0] == '\'=HYPERLINK("http://evil.example")'
    assert row[5] == "'@SUM(A1)"
    assert row[7] == "'-2+3"
    assert row[10] == "''=already quoted"


def test_the_csv_export_round_trips_through_import_into_another_studio(
    owner_client, charlie_client, studio, other_studio, acme
):
    person = ClientFactory(studio=studio, name='Пётр; "Дизайн"', kind=Client.Kind.PERSON, status=Client.Status.PAST)
    person.tags.set([Tag.objects.create(studio=studio, name="Ёлка")])
    ContactFactory(client=person, name="=Пётр, Иванов", email="petr@example.ru", phone="-1", is_primary=True)
    no_primary = ClientFactory(studio=studio, name="No Primary Yet", notes="'quoted' \"text\"\ttab")
    ContactFactory(client=no_primary, name="Only One", email="one@np.example", is_primary=False)
    exported = owner_client.get(reverse("clients:export_csv")).content

    preview = charlie_client.post(
        reverse("clients:import"),
        {"file": SimpleUploadedFile("export.csv", exported, content_type="text/csv"), "encoding": "auto"},
    )
    assert preview.context["commit_form"] is not None, preview.context["plan"].error_rows
    charlie_client.post(reverse("clients:import_commit"), {"token": preview.context["commit_form"].initial["token"]})

    def clients_of(studio_):
        return {
            (c.name, c.kind, c.status, c.language, c.notes, c.difficulty, tuple(sorted(t.name for t in c.tags.all())))
            for c in Client.objects.filter(studio=studio_)
        }

    def contacts_of(studio_):
        return {
            (c.client.name, c.name, c.email, c.phone, c.role)
            for c in Contact.objects.filter(studio=studio_).select_related("client")
        }

    assert clients_of(other_studio) == clients_of(studio)
    assert contacts_of(other_studio) == contacts_of(studio)
    primaries = set(Contact.objects.filter(studio=other_studio, is_primary=True).values_list("email", flat=True))
    assert primaries == {"zoe@acme.example", "petr@example.ru", "one@np.example"}


# --- vCard -----------------------------------------------------------------------------------------------


def test_the_vcard_export_is_one_utf8_file_with_crlf_line_endings(owner_client, studio, acme):
    response = owner_client.get(reverse("clients:export_vcard"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="northlight-contacts.vcf"'
    body = response.content.decode("utf-8")
    assert body.count("BEGIN:VCARD") == body.count("END:VCARD") == 2
    assert body.endswith("END:VCARD\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert "\r" not in body.replace("\r\n", "")
    assert [card["VERSION"] for card in cards(response)] == [["3.0"], ["3.0"]]


def test_a_vcard_has_the_name_organisation_title_emails_and_phone(owner_client, studio, acme):
    acme.contacts.filter(email="zoe@acme.example").update(other_emails=["zoe.private@example.com"])

    zoe = next(card for card in cards(owner_client.get(reverse("clients:export_vcard"))) if "TITLE" in card)

    assert zoe["FN"] == ["Zoe Primary"]
    assert zoe["N"] == [";Zoe Primary;;;"]
    assert zoe["ORG"] == ["Acme GmbH"]
    assert zoe["TITLE"] == ["CEO"]
    assert zoe["EMAIL;TYPE=INTERNET,PREF"] == ["zoe@acme.example"]
    assert zoe["EMAIL;TYPE=INTERNET"] == ["zoe.private@example.com"]
    assert zoe["TEL;TYPE=VOICE"] == ["+49 30 1"]


def test_vcard_values_escape_commas_semicolons_backslashes_and_newlines(owner_client, studio):
    client = ClientFactory(studio=studio, name="Smith; Jones, Partners\\Co")
    ContactFactory(
        client=client, name="Doe, Jane; Jr.", role="Head of design,\r\nbrand; web\nlead", email="j@x.example"
    )

    card = cards(owner_client.get(reverse("clients:export_vcard")))[0]

    assert card["FN"] == ["Doe\\, Jane\\; Jr."]
    assert card["N"] == [";Doe\\, Jane\\; Jr.;;;"]
    assert card["ORG"] == ["Smith\\; Jones\\, Partners\\\\Co"]
    assert card["TITLE"] == ["Head of design\\,\\nbrand\\; web\\nlead"]
    assert vcard_unescape(card["TITLE"][0]) == "Head of design,\nbrand; web\nlead"
    assert vcard_unescape(card["ORG"][0]) == "Smith; Jones, Partners\\Co"


def test_non_ascii_names_survive_the_vcard_export_and_long_lines_fold_between_characters(owner_client, studio):
    long_role = "Руководитель отдела дизайна и маркетинговых коммуникаций, Санкт-Петербург"
    client = ClientFactory(studio=studio, name="ООО «Ёлка»")
    ContactFactory(client=client, name="Пётр Иванович Сидоров", role=long_role, email="petr@elka.example")

    response = owner_client.get(reverse("clients:export_vcard"))

    physical_lines = response.content.split(b"\r\n")
    assert max(len(line) for line in physical_lines) <= 75
    assert any(line.startswith(b" ") for line in physical_lines)  # the long role was folded
    for line in physical_lines:
        line.decode("utf-8")  # no line ends inside a character
    card = cards(response)[0]
    assert card["FN"] == ["Пётр Иванович Сидоров"]
    assert card["ORG"] == ["ООО «Ёлка»"]
    assert vcard_unescape(card["TITLE"][0]) == long_role


def test_the_vcard_export_has_every_contact_of_the_studio_even_of_archived_clients(owner_client, studio, acme):
    gone = ClientFactory(studio=studio, name="Gone", archived_at=timezone.now())
    ContactFactory(client=gone, name="Old Friend", email="old@gone.example")

    names = [card["FN"][0] for card in cards(owner_client.get(reverse("clients:export_vcard")))]

    assert sorted(names) == ["Adam Second", "Old Friend", "Zoe Primary"]


def test_an_empty_studio_exports_an_empty_vcard_file(owner_client, studio):
    response = owner_client.get(reverse("clients:export_vcard"))

    assert response.status_code == 200
    assert response.content == b""


# --- Studios, access and queries -------------------------------------------------------------------------


def test_charlies_exports_contain_none_of_the_other_studios_rows(charlie_client, other_studio, acme):
    theirs = ClientFactory(studio=other_studio, name="Charlie's Client")
    ContactFactory(client=theirs, name="Charlie Contact", email="cc@elsewhere.example", is_primary=True)

    exported_csv = charlie_client.get(reverse("clients:export_csv")).content.decode()
    exported_vcf = charlie_client.get(reverse("clients:export_vcard")).content.decode()

    for private in ("Acme", "Zoe", "zoe@acme.example", "Adam", "retainer", "Pays late"):
        assert private not in exported_csv
        assert private not in exported_vcf
    assert "Charlie's Client" in exported_csv
    assert "cc@elsewhere.example" in exported_csv
    assert "Charlie Contact" in exported_vcf


@pytest.mark.parametrize("url_name", ["clients:export_csv", "clients:export_vcard"])
def test_the_exports_need_a_signed_in_member(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert reverse("login") in response.url


@pytest.mark.parametrize("url_name", ["clients:export_csv", "clients:export_vcard"])
@pytest.mark.parametrize("client_count", [5, 50])
def test_the_exports_run_a_constant_number_of_queries(
    owner_client, studio, django_assert_max_num_queries, url_name, client_count
):
    tags = [Tag.objects.create(studio=studio, name=f"tag {n}") for n in range(3)]
    for n in range(client_count):
        client = ClientFactory(studio=studio, name=f"Client {n:03}")
        client.tags.set(tags[: n % 4])
        ContactFactory(client=client, email=f"first{n}@x.example", is_primary=True)
        ContactFactory(client=client, email=f"second{n}@x.example")

    # session, user, studio, then the export: clients + tags + contacts, or contacts with their clients
    with django_assert_max_num_queries(6):
        response = owner_client.get(reverse(url_name))

    assert response.status_code == 200
    assert response.content.count(b"second") == client_count
