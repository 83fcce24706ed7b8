"""CSV import of clients and contacts: preview, per-row errors, all-or-nothing commit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from clients import csv_io
from clients.models import Client, Contact, Tag
from tests.factories import ClientFactory, ContactFactory

HEADER = "client,kind,status,language,tags,notes,difficulty,contact_name,contact_email,contact_phone,contact_role"


def upload(browser: Browser, content: bytes | str, *, encoding: str = "auto", name: str = "clients.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return browser.post(
        reverse("clients:import"),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "encoding": encoding},
    )


def commit(browser: Browser, preview):
    form = preview.context["commit_form"]
    assert form is not None, _problems(preview)
    return browser.post(reverse("clients:import_commit"), {"token": form.initial["token"]})


def import_file(browser: Browser, content: bytes | str, **kwargs):
    response = commit(browser, upload(browser, content, **kwargs))
    assert response.status_code == 302, _problems(response)
    return response


def _problems(response) -> list[str]:
    if response.context is None:
        return []
    if "plan" in response.context:
        plan = response.context["plan"]
        return plan.file_errors + [f"{row.number}: {row.errors}" for row in plan.error_rows]
    return [str(response.context["form"].errors)]


def snapshot() -> tuple[int, int, int, int]:
    return Client.objects.count(), Contact.objects.count(), Tag.objects.count(), Client.tags.through.objects.count()


def page(response) -> str:
    return response.content.decode()


def file_errors(response) -> str:
    """The file-level errors, wherever the view put them (upload form or preview)."""
    if "plan" in response.context:
        return " ".join(response.context["plan"].file_errors)
    return " ".join(response.context["form"].errors.get("file", []))


def row_errors(response) -> dict[int, str]:
    return {row.number: " ".join(row.errors) for row in response.context["plan"].error_rows}


# --- Happy paths ---------------------------------------------------------------------------------------


def test_the_upload_page_shows_the_form_with_the_encoding_choice(owner_client: Browser):
    response = owner_client.get(reverse("clients:import"))

    assert response.status_code == 200
    content = page(response)
    assert 'enctype="multipart/form-data"' in content
    assert "Detect automatically" in content
    assert "Windows-1251" in content
    assert "style=" not in content
    assert "onclick" not in content


def test_a_utf8_file_with_a_bom_and_semicolons_is_previewed_without_writing_anything(owner_client, studio):
    content = "\ufeffclient;contact_name;contact_email\nAcme GmbH;Anna Schmidt;anna@acme.example\n"
    before = snapshot()

    response = upload(owner_client, content)

    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.is_valid
    assert [(row.number, row.client_name, row.outcome) for row in plan.rows] == [
        (2, "Acme GmbH", csv_io.Outcome.NEW_CLIENT)
    ]
    assert "New client" in page(response)
    assert "Anna Schmidt" in page(response)
    assert snapshot() == before


def test_committing_the_preview_creates_every_client_and_contact_in_the_studio(owner_client, studio):
    content = (
        f"{HEADER}\n"
        'Acme GmbH,company,lead,ru,"retainer; e-commerce","Pays late,\nbut pays",2,Anna Schmidt,Anna@Acme.example,'
        "+49 30 1234,CEO\n"
        "Bob Builder,person,past,en,,,0,Bob Builder,bob@builder.example,,\n"
        "Acme GmbH,,,,,,,Carl Acme,carl@acme.example,,CTO\n"
    )

    response = import_file(owner_client, content)

    assert response.url == reverse("clients:index")
    acme = Client.objects.get(name="Acme GmbH")
    assert (acme.studio, acme.kind, acme.status, acme.language, acme.difficulty) == (studio, "company", "lead", "ru", 2)
    assert acme.notes == "Pays late,\nbut pays"
    assert sorted(tag.name for tag in acme.tags.all()) == ["e-commerce", "retainer"]
    assert [(c.name, c.email, c.phone, c.role, c.is_primary, c.studio) for c in acme.contacts.order_by("pk")] == [
        ("Anna Schmidt", "anna@acme.example", "+49 30 1234", "CEO", True, studio),
        ("Carl Acme", "carl@acme.example", "", "CTO", False, studio),
    ]
    bob = Client.objects.get(name="Bob Builder")
    assert (bob.kind, bob.status, bob.language) == ("person", "past", "en")
    assert bob.contacts.get().is_primary
    assert Tag.objects.filter(studio=studio).count() == 2
    assert Client.objects.filter(studio=studio).count() == 2


def test_the_success_message_counts_what_was_imported(owner_client, studio):
    content = "client,contact_name,contact_email\nA,Ann,ann@a.example\nA,Al,al@a.example\nB,,\n"

    response = owner_client.get(import_file(owner_client, content).url)

    assert "Imported 2 new clients and 2 contacts." in page(response)


def test_a_windows_1251_file_with_russian_names_is_detected_and_read_correctly(owner_client, studio):
    content = "client;contact_name;contact_email;notes\nООО Ромашка;Иван Петров;ivan@romashka.example;Звонить утром\n"

    import_file(owner_client, content.encode("cp1251"))

    client = Client.objects.get(studio=studio)
    assert client.name == "ООО Ромашка"
    assert client.notes == "Звонить утром"
    assert client.contacts.get().name == "Иван Петров"


def test_windows_1251_can_be_chosen_explicitly(owner_client, studio):
    content = "client,contact_name,contact_email\nЁлки-палки,Пётр,petr@elki.example\n"

    import_file(owner_client, content.encode("cp1251"), encoding="cp1251")

    assert Contact.objects.get(studio=studio).name == "Пётр"
    assert Client.objects.get(studio=studio).name == "Ёлки-палки"


def test_a_utf8_file_without_a_bom_can_be_chosen_explicitly(owner_client, studio):
    import_file(owner_client, "client\nМосква Дизайн\n".encode(), encoding="utf-8")

    assert Client.objects.get(studio=studio).name == "Москва Дизайн"


def test_russian_column_names_and_values_are_accepted(owner_client, studio):
    content = (
        "Компания;Статус;Тип;Имя;Почта;Телефон;Должность\n"
        "Ромашка;Лид;Человек;Мария;maria@romashka.example;+7 900 000-00-00;Директор\n"
    )

    import_file(owner_client, content.encode("cp1251"))

    client = Client.objects.get(studio=studio)
    assert (client.name, client.status, client.kind) == ("Ромашка", "lead", "person")
    assert Contact.objects.filter(
        client=client, name="Мария", phone="+7 900 000-00-00", role="Директор", is_primary=True
    ).exists()


def test_a_tab_separated_file_is_read(owner_client, studio):
    import_file(owner_client, "client\tcontact_name\tcontact_email\nTabby Ltd\tTom\ttom@tabby.example\n")

    assert Contact.objects.get(studio=studio).client.name == "Tabby Ltd"


def test_header_names_are_case_insensitive_and_may_use_spaces(owner_client, studio):
    import_file(owner_client, "Client,Contact Name,E-mail\nCasey Co,Casey,casey@co.example\n")

    assert Contact.objects.get(studio=studio).email == "casey@co.example"


def test_formula_escapes_from_an_export_are_removed(owner_client, studio):
    import_file(
        owner_client, "client,notes,contact_name,contact_email,contact_phone\n\"'=Acme\",'-,Ann,ann@x.example,'+49 1\n"
    )

    client = Client.objects.get(studio=studio)
    assert (client.name, client.notes, client.contacts.get().phone) == ("=Acme", "-", "+49 1")


# --- Matching clients ------------------------------------------------------------------------------------


def test_rows_with_the_same_client_name_add_contacts_to_one_client_and_the_first_is_primary(owner_client, studio):
    content = (
        "client,contact_name,contact_email\n"
        "Acme,Ann,ann@acme.example\n"
        "ACME ,Ben,ben@acme.example\n"
        "acme,Cid,cid@acme.example\n"
    )

    preview = upload(owner_client, content)

    assert [row.outcome for row in preview.context["plan"].rows] == [
        csv_io.Outcome.NEW_CLIENT,
        csv_io.Outcome.ADD_TO_NEW,
        csv_io.Outcome.ADD_TO_NEW,
    ]
    commit(owner_client, preview)
    client = Client.objects.get(studio=studio)
    assert client.name == "Acme"
    assert list(client.contacts.order_by("pk").values_list("name", "is_primary")) == [
        ("Ann", True),
        ("Ben", False),
        ("Cid", False),
    ]


def test_an_existing_client_is_matched_by_name_case_insensitively_and_gets_a_primary_contact(owner_client, studio):
    existing = ClientFactory(studio=studio, name="Ёлка Студия", status=Client.Status.LEAD)

    preview = upload(owner_client, "client,status,contact_name,contact_email\nёлка студия,past,Ира,ira@elka.example\n")

    row = preview.context["plan"].rows[0]
    assert row.outcome == csv_io.Outcome.ADD_TO_EXISTING
    assert "Adds a contact to an existing client" in page(preview)
    commit(owner_client, preview)
    assert Client.objects.filter(studio=studio).count() == 1
    contact = Contact.objects.get(client=existing)
    assert (contact.name, contact.is_primary, contact.studio) == ("Ира", True, studio)
    existing.refresh_from_db()
    assert existing.status == Client.Status.LEAD  # existing clients are not changed


def test_a_contact_added_to_a_client_that_has_a_primary_is_not_primary(owner_client, studio):
    existing = ClientFactory(studio=studio, name="Acme")
    ContactFactory(client=existing, email="boss@acme.example", is_primary=True)

    import_file(owner_client, "client,contact_name,contact_email\nAcme,New,new@acme.example\n")

    assert list(existing.contacts.order_by("pk").values_list("email", "is_primary")) == [
        ("boss@acme.example", True),
        ("new@acme.example", False),
    ]


def test_a_row_for_an_existing_client_without_a_contact_is_skipped_not_an_error(owner_client, studio):
    ClientFactory(studio=studio, name="Acme")

    preview = upload(owner_client, "client\nAcme\nNewco\n")

    plan = preview.context["plan"]
    assert plan.is_valid
    assert [row.outcome for row in plan.rows] == [csv_io.Outcome.SKIP, csv_io.Outcome.NEW_CLIENT]
    commit(owner_client, preview)
    assert sorted(Client.objects.filter(studio=studio).values_list("name", flat=True)) == ["Acme", "Newco"]


def test_a_file_with_nothing_new_offers_no_import(owner_client, studio):
    ClientFactory(studio=studio, name="Acme")

    preview = upload(owner_client, "client\nAcme\n")

    assert preview.context["commit_form"] is None
    assert "nothing to import" in page(preview)


def test_an_archived_client_with_the_same_name_is_not_matched(owner_client, studio):
    archived = ClientFactory(studio=studio, name="Acme", archived_at=timezone.now())

    preview = upload(owner_client, "client,contact_name,contact_email\nAcme,Ann,ann@acme.example\n")

    assert preview.context["plan"].rows[0].outcome == csv_io.Outcome.NEW_CLIENT
    assert "archived client has the same name" in page(preview)
    commit(owner_client, preview)
    assert Client.objects.filter(studio=studio, name="Acme").count() == 2
    assert not archived.contacts.exists()


def test_tags_are_reused_case_insensitively_and_created_once(owner_client, studio, other_studio):
    retainer = Tag.objects.create(studio=studio, name="Retainer")
    Tag.objects.create(studio=other_studio, name="e-commerce")

    import_file(owner_client, 'client,tags\nA,"retainer|E-Commerce; e-commerce"\nB,RETAINER | Дизайн\nC,дизайн\n')

    assert sorted(Tag.objects.filter(studio=studio).values_list("name", flat=True)) == [
        "E-Commerce",
        "Retainer",
        "Дизайн",
    ]
    assert set(Client.objects.get(name="A").tags.all()) == {retainer, Tag.objects.get(studio=studio, name="E-Commerce")}
    assert Client.objects.get(name="C").tags.get().name == "Дизайн"
    assert Tag.objects.filter(studio=other_studio).count() == 1


def test_later_rows_may_fill_in_client_columns_the_first_row_left_empty(owner_client, studio):
    import_file(owner_client, "client,status,tags\nAcme,,a\nAcme,lead,b\nAcme,LEAD,\n")

    client = Client.objects.get(studio=studio)
    assert client.status == "lead"
    assert sorted(client.tags.values_list("name", flat=True)) == ["a", "b"]


# --- Errors: nothing is written ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param("Acme,,,,,,,Ann,not-an-email,,", "“not-an-email” is not an email address", id="invalid email"),
        pytest.param("Acme,,,,,,5,,,,", "“5” is not a difficulty", id="difficulty above 3"),
        pytest.param("Acme,,,,,,-1,,,,", "“-1” is not a difficulty", id="negative difficulty"),
        pytest.param("Acme,,,,,,hard,,,,", "“hard” is not a difficulty", id="difficulty not a number"),
        pytest.param("Acme,,paused,,,,,,,,", "“paused” is not a status we know", id="unknown status"),
        pytest.param("Acme,robot,,,,,,,,,", "“robot” is not a kind we know", id="unknown kind"),
        pytest.param("Acme,,,de,,,,,,,", "“de” is not a language we know", id="unknown language"),
        pytest.param(",,,,,,,Ann,ann@x.example,,", "every row needs the client's name", id="missing client name"),
        pytest.param("Acme,,,,,,,Ann,,,", "contact_email is empty", id="contact without email"),
        pytest.param("Acme,,,,,,,,ann@x.example,,", "contact_name is empty", id="contact without name"),
        pytest.param("Acme,,,,{},,,,,,".format("t" * 41), "longer than 40 characters", id="tag too long"),
        pytest.param("{},,,,,,,,,,".format("A" * 201), "longer than 200 characters", id="client name too long"),
        pytest.param("Acme,,,,,,,,,,,extra", "column(s) 12, which have no header", id="value without a header"),
    ],
)
def test_a_bad_value_is_an_error_on_its_row_and_nothing_is_written(owner_client, studio, line, message):
    before = snapshot()

    response = upload(owner_client, f"{HEADER}\nGood Co,,,,,,,Gina,gina@good.example,,\n{line}\n")

    assert response.status_code == 200
    assert message in row_errors(response)[3]
    assert response.context["commit_form"] is None
    assert "Nothing was imported." in page(response)
    assert snapshot() == before


def test_an_error_row_is_shown_next_to_the_rows_that_would_have_worked(owner_client, studio):
    response = upload(owner_client, "client,difficulty\nFine Co,1\nBad Co,9\n")

    rows = response.context["plan"].rows
    assert [row.outcome for row in rows] == [csv_io.Outcome.NEW_CLIENT, csv_io.Outcome.ERROR]
    assert "table-danger" in page(response)
    assert "1 row has a problem" in page(response)


def test_the_same_email_twice_in_the_file_is_an_error_on_the_second_row(owner_client, studio):
    before = snapshot()

    response = upload(owner_client, "client,contact_name,contact_email\nA,Ann,ann@x.example\nB,Ann B,ANN@x.example\n")

    assert row_errors(response) == {3: "ann@x.example is also on row 2: each contact email can be imported once."}
    assert snapshot() == before


def test_an_email_that_already_belongs_to_a_contact_says_which_client_has_it(owner_client, studio):
    ContactFactory(client=ClientFactory(studio=studio, name="Old Client"), name="Olga", email="olga@old.example")
    before = snapshot()

    response = upload(owner_client, "client,contact_name,contact_email\nNew Client,Olga,Olga@Old.example\n")

    assert row_errors(response) == {2: "olga@old.example already belongs to Olga at Old Client."}
    assert "Old Client" in page(response)
    assert snapshot() == before


def test_an_email_kept_as_another_email_of_a_contact_is_taken_too(owner_client, studio):
    ContactFactory(
        client=ClientFactory(studio=studio, name="Old"), email="main@old.example", other_emails=["alt@old.example"]
    )

    response = upload(owner_client, "client,contact_name,contact_email\nNew,Al,alt@old.example\n")

    assert "already belongs to" in row_errors(response)[2]


def test_different_values_for_the_same_new_client_are_an_error(owner_client, studio):
    before = snapshot()

    response = upload(
        owner_client,
        "client,status,contact_name,contact_email\nAcme,lead,Ann,ann@a.example\nacme,past,Ben,ben@a.example\n",
    )

    assert "status differs from row 2" in row_errors(response)[3]
    assert snapshot() == before


def test_two_current_clients_with_the_row_s_name_are_an_error(owner_client, studio):
    ClientFactory(studio=studio, name="Acme")
    ClientFactory(studio=studio, name="ACME")

    response = upload(owner_client, "client,contact_name,contact_email\nAcme,Ann,ann@a.example\n")

    assert "2 current clients are called “Acme”" in row_errors(response)[2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("name,email\nAcme,a@x.example\n", "Missing required column: client.", id="missing client column"),
        pytest.param("client,website,fax\nAcme,x,y\n", "Unknown column(s): “website”, “fax”.", id="unknown columns"),
        pytest.param("client,email,e-mail\nA,a@x.example,b@x.example\n", "Duplicate columns", id="duplicate columns"),
        pytest.param(
            "Dear client,\nplease find attached our offer.\n", "Unknown column(s): “Dear client”", id="prose, not csv"
        ),
    ],
)
def test_unusable_columns_are_named_with_the_expected_ones_and_nothing_is_written(
    owner_client, studio, content, message
):
    before = snapshot()

    response = upload(owner_client, content)

    assert response.status_code == 200
    errors = file_errors(response)
    assert message in errors
    assert "Expected columns" in errors
    assert csv_io.expected_columns_text() in errors
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a CSV file", id="binary file"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00", "not a CSV file", id="xlsx instead of csv"),
        pytest.param(b"", "The submitted file is empty.", id="empty file"),
        pytest.param(b"\xef\xbb\xbf\r\n  \r\n", "The file is empty.", id="only a bom and blank lines"),
        pytest.param(b"client,contact_email\n", "no rows with clients", id="header only"),
        pytest.param("client\n".encode("utf-16"), "UTF-16", id="utf-16"),
    ],
)
def test_garbage_is_refused_and_nothing_is_written(owner_client, studio, content, message):
    before = snapshot()

    response = upload(owner_client, content)

    assert response.status_code == 200
    assert message in file_errors(response)
    assert response.context.get("commit_form") is None
    assert snapshot() == before


def test_more_than_5000_rows_are_refused(owner_client, studio):
    content = "client\n" + "".join(f"Client {n}\n" for n in range(csv_io.MAX_ROWS + 1))

    response = upload(owner_client, content)

    assert "more than 5,000 rows" in file_errors(response)
    assert Client.objects.count() == 0


def test_exactly_5000_rows_are_accepted_by_the_parser():
    parsed = csv_io.parse("client\n" + "".join(f"Client {n}\n" for n in range(csv_io.MAX_ROWS)))

    assert len(parsed.rows) == csv_io.MAX_ROWS
    assert parsed.rows[-1].number == csv_io.MAX_ROWS + 1


def test_a_file_over_2_mb_is_refused(owner_client, studio):
    content = b"client,notes\n" + b"Acme," + b"x" * csv_io.MAX_BYTES + b"\n"

    response = upload(owner_client, content)

    assert "the limit is 2 MB" in file_errors(response)
    assert Client.objects.count() == 0


def test_a_windows_1251_file_read_as_utf8_is_refused_with_a_hint_to_choose_windows_1251(owner_client, studio):
    content = "client\nООО Ромашка\n".encode("cp1251")

    response = upload(owner_client, content, encoding="utf-8")

    errors = file_errors(response)
    assert "not UTF-8" in errors
    assert "line 2" in errors
    assert "Windows-1251" in errors
    assert Client.objects.count() == 0


def test_a_utf8_file_read_as_windows_1251_is_refused_with_a_hint_to_choose_utf8(owner_client, studio):
    response = upload(owner_client, "client\nООО Ромашка\n".encode(), encoding="cp1251")

    assert "This file is UTF-8, not Windows-1251" in file_errors(response)
    assert Client.objects.count() == 0


def test_bytes_that_are_neither_utf8_nor_windows_1251_are_refused(owner_client, studio):
    response = upload(owner_client, b"client\nAcme \x98\n")

    assert "neither UTF-8 nor Windows-1251" in file_errors(response)
    assert Client.objects.count() == 0


def test_a_utf8_file_with_one_broken_byte_is_refused_rather_than_read_as_windows_1251(owner_client, studio):
    content = "client\nООО Ромашка\nЁлка\n".encode() + b"Caf\xe9\n"

    response = upload(owner_client, content)

    assert "UTF-8 except for line 4" in file_errors(response)
    assert Client.objects.count() == 0


def test_the_upload_form_re_renders_with_errors_without_a_file(owner_client, studio):
    response = owner_client.post(reverse("clients:import"), {"encoding": "auto"})

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert "import.html" in response.templates[0].name


# --- Commit -----------------------------------------------------------------------------------------------


def test_commit_revalidates_and_writes_nothing_when_the_data_changed_since_the_preview(owner_client, studio):
    preview = upload(
        owner_client, "client,contact_name,contact_email\nNewco,Ann,ann@x.example\nOther,Bo,bo@x.example\n"
    )
    ContactFactory(client=ClientFactory(studio=studio, name="Meanwhile"), email="ann@x.example")
    before = snapshot()

    response = commit(owner_client, preview)

    assert response.status_code == 200
    assert "already belongs to" in row_errors(response)[2]
    assert response.context["commit_form"] is None
    assert snapshot() == before
    # The failed import is gone: posting the same token again asks for the file.
    again = owner_client.post(
        reverse("clients:import_commit"), {"token": preview.context["commit_form"].initial["token"]}
    )
    assert again.status_code == 302
    assert again.url == reverse("clients:import")


def test_commit_writes_nothing_if_a_database_write_fails(owner_client, studio, monkeypatch):
    preview = upload(owner_client, "client,contact_name,contact_email\nNewco,Ann,ann@x.example\n")

    def clash(*args, **kwargs):
        from django.db import IntegrityError

        raise IntegrityError("contact_unique_email_per_studio")

    real = csv_io._bulk_create

    def create_then_clash(model, objects):
        if model is Contact:
            clash()
        real(model, objects)

    monkeypatch.setattr(csv_io, "_bulk_create", create_then_clash)
    response = commit(owner_client, preview)

    assert response.status_code == 200
    assert "Nothing was imported" in page(response)
    assert Client.objects.count() == 0
    assert Contact.objects.count() == 0
    assert response.context["commit_form"] is not None  # the same file may go through on a retry


def test_committing_twice_imports_once(owner_client, studio):
    preview = upload(owner_client, "client\nAcme\n")
    commit(owner_client, preview)

    response = commit(owner_client, preview)

    assert response.status_code == 302
    assert response.url == reverse("clients:import")
    assert Client.objects.filter(studio=studio).count() == 1


def test_a_commit_with_an_unknown_token_writes_nothing_and_asks_for_the_file_again(owner_client, studio):
    upload(owner_client, "client\nAcme\n")

    response = owner_client.post(reverse("clients:import_commit"), {"token": "made-up"}, follow=True)

    assert "Upload the file again" in page(response)
    assert Client.objects.count() == 0


def test_the_commit_only_accepts_post(owner_client, studio):
    assert owner_client.get(reverse("clients:import_commit")).status_code == 405


def test_a_new_upload_replaces_the_waiting_one(owner_client, studio):
    first = upload(owner_client, "client\nFirst\n")
    second = upload(owner_client, "client\nSecond\n")

    assert commit(owner_client, first).status_code == 302
    assert commit(owner_client, second).status_code == 302
    assert list(Client.objects.values_list("name", flat=True)) == ["Second"]


def test_commit_inserts_in_batches_not_a_query_per_row(owner_client, studio, django_assert_max_num_queries):
    content = "client,tags,contact_name,contact_email\n" + "".join(
        f"Client {n},t{n % 3},Person {n},p{n}@x.example\n" for n in range(300)
    )
    preview = upload(owner_client, content)

    with django_assert_max_num_queries(30):
        commit(owner_client, preview)

    assert Contact.objects.filter(studio=studio, is_primary=True).count() == 300
    assert Client.tags.through.objects.count() == 300


# --- Studios and access -----------------------------------------------------------------------------------


def test_an_import_in_one_studio_never_matches_or_creates_in_another(owner_client, studio, other_studio):
    theirs = ClientFactory(studio=other_studio, name="Acme")
    ContactFactory(client=theirs, email="ann@acme.example")
    Tag.objects.create(studio=other_studio, name="retainer")
    other_before = (
        Client.objects.filter(studio=other_studio).count(),
        Contact.objects.filter(studio=other_studio).count(),
        Tag.objects.filter(studio=other_studio).count(),
    )

    preview = upload(owner_client, "client,tags,contact_name,contact_email\nAcme,retainer,Ann,ann@acme.example\n")

    assert preview.context["plan"].rows[0].outcome == csv_io.Outcome.NEW_CLIENT
    commit(owner_client, preview)
    ours = Client.objects.get(studio=studio)
    assert ours.pk != theirs.pk
    assert ours.contacts.get().studio == studio
    assert ours.tags.get().studio == studio
    assert other_before == (
        Client.objects.filter(studio=other_studio).count(),
        Contact.objects.filter(studio=other_studio).count(),
        Tag.objects.filter(studio=other_studio).count(),
    )
    assert not theirs.tags.exists()


def test_an_import_waiting_for_one_studio_cannot_be_committed_in_another(studio, other_studio):
    session: dict = {}
    token = csv_io.stash(session, studio=studio, text="client\nAcme\n", filename="a.csv")

    assert csv_io.pending(session, token=token, studio=other_studio) is None
    assert csv_io.pending(session, token="x" + token, studio=studio) is None
    assert csv_io.pending(session, token=token, studio=studio).text == "client\nAcme\n"


def test_another_studio_s_member_cannot_commit_someone_else_s_token(owner_client, charlie_client, studio):
    preview = upload(owner_client, "client\nAcme\n")

    response = charlie_client.post(
        reverse("clients:import_commit"), {"token": preview.context["commit_form"].initial["token"]}
    )

    assert response.status_code == 302
    assert Client.objects.count() == 0


@pytest.mark.parametrize("url_name", ["clients:import", "clients:import_commit"])
def test_the_import_needs_a_signed_in_member(client, db, url_name):
    response = client.post(reverse(url_name))

    assert response.status_code == 302
    assert reverse("login") in response.url
