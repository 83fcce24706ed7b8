"""Saving an email's attachments to a project: listed all ticked, saved once, refused ones named, studio-scoped."""

from datetime import date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from comms.inbound import receive
from comms.models import RawEmail
from files.from_message import preselected_project, project_choices
from files.models import ProjectFile
from files.storage import file_storage
from tests.factories import ClientFactory, ContactFactory, MessageFactory, ProjectFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def bakery(studio):
    client = ClientFactory(studio=studio, name="Ann's Bakery")
    ContactFactory(client=client, name="Ann Baker", email="ann@bakery.example")
    return client


def raw_mail(*attachments: tuple[str, bytes, str], subject: str = "Logo and brief") -> bytes:
    mail = EmailMessage()
    mail["From"] = "Ann Baker <ann@bakery.example>"
    mail["To"] = "hello@northlight.example"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{abs(hash((subject, attachments)))}@bakery.example>"
    mail.set_content("Here you are.\n")
    for name, data, kind in attachments:
        maintype, subtype = kind.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes()


def received(studio, *attachments, subject: str = "Logo and brief"):
    return receive(studio, raw_mail(*attachments, subject=subject), received_at=NOW - timedelta(hours=1))


def url(message) -> str:
    return reverse("files:from_message", kwargs={"pk": message.pk})


def test_the_message_page_offers_the_save_when_there_are_attachments_and_a_client(owner_client, studio, bakery):
    with_files = received(studio, ("logo.png", PNG, "image/png"))
    without = received(studio, subject="No files")
    assert url(with_files) in owner_client.get(reverse("comms:message", kwargs={"pk": with_files.pk})).content.decode()
    assert (
        "save-attachments" not in owner_client.get(reverse("comms:message", kwargs={"pk": without.pk})).content.decode()
    )


def test_get_lists_every_attachment_ticked_and_preselects_the_most_recent_active_project(owner_client, studio, bakery):
    ProjectFactory(client=bakery, title="Old shop", status="completed")
    ProjectFactory(client=bakery, title="Bakery website")
    ProjectFactory(client=bakery, title="Newer lead", status="lead")
    ProjectFactory(client=ClientFactory(studio=studio), title="Someone else's")
    message = received(studio, ("logo.png", PNG, "image/png"), ("brief.pdf", PDF, "application/pdf"))

    response = owner_client.get(url(message))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('name="attachments"') == 2
    assert page.count(" checked") == 2
    assert "logo.png" in page
    assert "brief.pdf" in page
    assert "Someone else&#x27;s" not in page
    assert response.context["preselected"].title == "Bakery website"


def test_the_messages_own_project_is_preselected(db, studio, bakery):
    website = ProjectFactory(client=bakery, title="Bakery website")
    menu = ProjectFactory(client=bakery, title="Menu card", status="lead")
    message = MessageFactory(thread__client=bakery, project=menu)
    assert preselected_project(message, list(project_choices(message))) == menu
    message.project = ProjectFactory(client=ClientFactory(studio=studio))  # not the client's: ignored
    assert preselected_project(message, list(project_choices(message))) == website


def test_post_saves_the_ticked_attachments_as_the_clients_files_already_seen(owner_client, studio, bakery):
    project = ProjectFactory(client=bakery, title="Bakery website")
    message = received(studio, ("logo.png", PNG, "image/png"), ("brief.pdf", PDF, "application/pdf"))

    response = owner_client.post(url(message), {"project": project.pk, "attachments": ["1"]})

    assert response.status_code == 302
    assert response.url == reverse("files:project", kwargs={"pk": project.pk})
    [kept] = ProjectFile.objects.all()
    assert (kept.name, kept.content_type, kept.side) == ("brief.pdf", "application/pdf", "client")
    assert kept.project == project
    assert kept.source_message == message
    assert kept.uploaded_by_contact.name == "Ann Baker"
    assert kept.seen_at == NOW
    with file_storage().open(kept.storage_name, "rb") as stored:
        assert stored.read() == PDF


def test_saving_twice_does_not_duplicate(owner_client, studio, bakery):
    project = ProjectFactory(client=bakery)
    message = received(studio, ("logo.png", PNG, "image/png"), ("brief.pdf", PDF, "application/pdf"))
    data = {"project": project.pk, "attachments": ["0", "1"]}

    owner_client.post(url(message), data)
    response = owner_client.post(url(message), data, follow=True)

    assert ProjectFile.objects.count() == 2
    assert "Already saved from this email" in response.content.decode()
    other = ProjectFactory(client=bakery)
    owner_client.post(url(message), {"project": other.pk, "attachments": ["0"]})
    assert ProjectFile.objects.filter(project=other).count() == 1  # another project may have its copy


def test_a_refused_attachment_is_named_and_the_rest_saved(owner_client, studio, bakery):
    project = ProjectFactory(client=bakery)
    message = received(studio, ("setup.exe", EXE, "application/octet-stream"), ("logo.png", PNG, "image/png"))

    response = owner_client.post(url(message), {"project": project.pk, "attachments": ["0", "1"]}, follow=True)

    assert [kept.name for kept in ProjectFile.objects.all()] == ["logo.png"]
    page = response.content.decode()
    assert "1 file saved to" in page
    assert "“setup.exe” is a program, a script or a web page" in page


def test_when_every_attachment_is_refused_the_form_shows_why_next_to_it(owner_client, studio, bakery):
    project = ProjectFactory(client=bakery)
    message = received(studio, ("setup.exe", EXE, "application/octet-stream"))

    response = owner_client.post(url(message), {"project": project.pk, "attachments": ["0"]})

    assert response.status_code == 200
    assert response.context["refused"][0].startswith("“setup.exe” is a program, a script or a web page")
    assert 'data-testid="refused"' in response.content.decode()
    assert not ProjectFile.objects.exists()


def test_nothing_ticked_or_a_foreign_project_is_a_form_error(owner_client, studio, bakery, other_studio):
    ProjectFactory(client=bakery)
    foreign = ProjectFactory(client=ClientFactory(studio=other_studio))
    message = received(studio, ("logo.png", PNG, "image/png"))

    nothing = owner_client.post(url(message), {"project": foreign.pk})

    assert nothing.status_code == 200
    assert set(nothing.context["form"].errors) == {"project", "attachments"}
    assert not ProjectFile.objects.exists()


def test_another_studios_message_is_a_404(owner_client, other_studio):
    client = ClientFactory(studio=other_studio)
    ContactFactory(client=client, email="ann@bakery.example")
    project = ProjectFactory(client=client)
    message = received(other_studio, ("logo.png", PNG, "image/png"))

    assert owner_client.get(url(message)).status_code == 404
    assert owner_client.post(url(message), {"project": project.pk, "attachments": ["0"]}).status_code == 404
    assert not ProjectFile.objects.exists()


def test_the_page_needs_a_member(client, studio, bakery):
    message = received(studio, ("logo.png", PNG, "image/png"))
    response = client.get(url(message))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_message_whose_raw_email_is_gone_says_so(owner_client, studio, bakery):
    project = ProjectFactory(client=bakery)
    message = received(studio, ("logo.png", PNG, "image/png"))
    RawEmail.objects.filter(pk=message.raw_email_id).delete()

    for response in (
        owner_client.get(url(message)),
        owner_client.post(url(message), {"project": project.pk, "attachments": ["0"]}),
    ):
        assert response.status_code == 200
        assert "no longer stored in Rapport" in response.content.decode()
    assert not ProjectFile.objects.exists()


def test_a_message_without_a_client_or_a_client_without_projects_says_what_to_do(owner_client, studio, bakery):
    message = received(studio, ("logo.png", PNG, "image/png"))
    assert "has no project yet" in owner_client.get(url(message)).content.decode()

    stranger = MessageFactory(thread__client=bakery, client=None, attachments=[{"name": "a.png"}])
    assert "under a client first" in owner_client.get(url(stranger)).content.decode()


def test_the_project_choice_lists_only_the_clients_projects(db, studio, bakery):
    mine = ProjectFactory(client=bakery, active_from=date(2026, 1, 1))
    ProjectFactory(client=ClientFactory(studio=studio))
    message = MessageFactory(thread__client=bakery)
    assert list(project_choices(message)) == [mine]


def test_a_message_filed_under_a_project_saves_its_attachments_there_in_one_click(owner_client, studio, bakery):
    project = ProjectFactory(client=bakery, title="Bakery website")
    message = received(studio, ("logo.png", PNG, "image/png"), ("brief.pdf", PDF, "application/pdf"))
    message.project = project
    message.save(update_fields=["project"])

    page = owner_client.get(reverse("comms:message", kwargs={"pk": message.pk})).content.decode()
    assert "Save attachments to “Bakery website”" in page
    form = page.split('data-testid="save-attachments-here"')[1].split("</form>")[0]
    assert f'name="project" value="{project.pk}"' in form
    fields = {"project": str(project.pk), "attachments": ["0", "1"]}
    assert form.count('name="attachments"') == len(fields["attachments"])

    response = owner_client.post(url(message), fields)

    assert response.url == reverse("files:project", kwargs={"pk": project.pk})
    assert sorted(ProjectFile.objects.values_list("name", flat=True)) == ["brief.pdf", "logo.png"]
