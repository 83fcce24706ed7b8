"""factory-boy factories: one per model, `SubFactory` up to the studio."""

import datetime
from datetime import time

import factory
from factory.django import DjangoModelFactory

from clients.models import Client, Contact, Payment, Touchpoint
from clients.touch_clock import refresh_next_touch
from kernel.models import Membership, Studio, SweepSchedule, User
from kernel.sweeps import schedules_reset
from projects.covered_week import note_outbound


class StudioFactory(DjangoModelFactory):
    class Meta:
        model = Studio
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Studio {n}")
    slug = factory.Sequence(lambda n: f"studio-{n}")
    timezone = "Europe/Berlin"
    working_hours_json = factory.LazyFunction(lambda: {str(day): ["09:00", "18:00"] for day in range(5)})
    sender_email = factory.LazyAttribute(lambda studio: f"hello@{studio.slug}.example")

    @factory.post_generation
    def sweep_schedules(studio, create, extracted, **kwargs):
        """A new studio is due for every scheduled job at once, as ``kernel.services.studio_create`` leaves it."""
        if create and not SweepSchedule.objects.filter(studio=studio).exists():
            schedules_reset(studio)


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
        skip_postgeneration_save = True

    studio = factory.SubFactory(StudioFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    status = Client.Status.ACTIVE

    @factory.post_generation
    def added_at(client: Client, create: bool, extracted: object, **kwargs: object) -> None:
        """``ClientFactory(added_at=…)``: when the client was added (``created_at`` is set on insert).

        By default a client contacted before the test's clock was added by that contact at the latest,
        as in life: the stay-in-touch clock never counts from before the client was added.
        """
        if not create:
            return
        added = extracted
        if added is None and client.last_interaction_at is not None and client.last_interaction_at < client.created_at:
            added = client.last_interaction_at
        if added is not None:
            Client.objects.filter(pk=client.pk).update(created_at=added)
            client.created_at = added

    @factory.post_generation
    def stored_clock(client: Client, create: bool, extracted: object, **kwargs: object) -> None:
        """``next_touch_on`` as the app's write paths store it, whatever dates the test gave."""
        if create:
            refresh_next_touch(client.studio, [client.pk])
            client.refresh_from_db(fields=["next_touch_on"])


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
        skip_postgeneration_save = True

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

    @factory.post_generation
    def friday_cover(message, create: bool, extracted: object, **kwargs: object) -> None:
        """Sent mail covers its clients' week, as ``record_message`` notes it (``projects.covered_week``)."""
        if create:
            note_outbound(message)


class OutboxEmailFactory(DjangoModelFactory):
    class Meta:
        model = "comms.OutboxEmail"

    studio = factory.SubFactory(StudioFactory)
    kind = "reply"
    from_email = "Studio <hello@studio.example>"
    to = factory.LazyFunction(lambda: ["client@client.example"])
    subject = factory.Sequence(lambda n: f"Re: Question {n}")
    text = "Thanks, here is the answer."
