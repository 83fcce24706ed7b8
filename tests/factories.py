"""factory-boy factories: one per model, `SubFactory` up to the studio."""

import datetime
from datetime import time

import factory
from factory.django import DjangoModelFactory

from clients.models import Client, Contact, Payment, Touchpoint
from crm.models import Membership, Studio, User


class StudioFactory(DjangoModelFactory):
    class Meta:
        model = Studio
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Studio {n}")
    slug = factory.Sequence(lambda n: f"studio-{n}")
    timezone = "Europe/Berlin"
    working_hours_json = factory.LazyFunction(lambda: {str(day): ["09:00", "18:00"] for day in range(5)})
    sender_email = factory.LazyAttribute(lambda studio: f"hello@{studio.slug}.example")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    studio = factory.SubFactory(StudioFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.OWNER


NINE_TO_SIX = {day: (time(9), time(18)) for day in range(5)}


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client

    studio = factory.SubFactory(StudioFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    status = Client.Status.ACTIVE


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    studio = factory.SelfAttribute("client.studio")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@client.example")


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = Payment

    client = factory.SubFactory(ClientFactory)
    studio = factory.SelfAttribute("client.studio")
    amount_minor = 100_000
    currency = "EUR"
    paid_on = datetime.date(2026, 10, 1)


class TouchpointFactory(DjangoModelFactory):
    class Meta:
        model = Touchpoint

    client = factory.SubFactory(ClientFactory)
    studio = factory.SelfAttribute("client.studio")
    kind = Touchpoint.Kind.CALL
    happened_on = datetime.date(2026, 10, 1)


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = "projects.Project"

    client = factory.SubFactory(ClientFactory)
    studio = factory.SelfAttribute("client.studio")
    title = factory.Sequence(lambda n: f"Project {n}")
    status = "in_progress"
    currency = "EUR"


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = "projects.Milestone"

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    order = factory.Sequence(lambda n: n)


class ActionItemFactory(DjangoModelFactory):
    class Meta:
        model = "projects.ActionItem"

    project = factory.SubFactory(ProjectFactory)
    owner = "client"
    text = factory.Sequence(lambda n: f"Action {n}")


class ThreadFactory(DjangoModelFactory):
    class Meta:
        model = "comms.Thread"

    client = factory.SubFactory(ClientFactory)
    studio = factory.SelfAttribute("client.studio")
    subject = factory.Sequence(lambda n: f"Question {n}")
    subject_key = factory.LazyAttribute(lambda o: o.subject.lower())


class MessageFactory(DjangoModelFactory):
    """An inbound email; pass ``needs_reply=True, reply_due_at=…`` for an open clock."""

    class Meta:
        model = "comms.Message"

    thread = factory.SubFactory(ThreadFactory)
    studio = factory.SelfAttribute("thread.studio")
    client = factory.SelfAttribute("thread.client")
    direction = "in"
    from_email = factory.Sequence(lambda n: f"sender{n}@client.example")
    to = factory.LazyFunction(lambda: ["hello@studio.example"])
    subject = factory.SelfAttribute("thread.subject")
    text = "Hello, could you look at this?"
    text_new = factory.SelfAttribute("text")
    sent_at = factory.LazyFunction(lambda: datetime.datetime.now(tz=datetime.UTC))


class OutboxEmailFactory(DjangoModelFactory):
    class Meta:
        model = "comms.OutboxEmail"

    studio = factory.SubFactory(StudioFactory)
    kind = "reply"
    from_email = "Studio <hello@studio.example>"
    to = factory.LazyFunction(lambda: ["client@client.example"])
    subject = factory.Sequence(lambda n: f"Re: Question {n}")
    text = "Thanks, here is the answer."
