"""factory-boy factories: one per model, `SubFactory` up to the studio."""

from datetime import datetime, time

import factory
from django.utils import timezone
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


def _added_by_first_contact(client: factory.builder.Resolver) -> datetime:
    """A client contacted before the test's clock was added by that contact at the latest, as in life:
    the stay-in-touch clock never counts from before the client was added."""
    now = timezone.now()
    if client.last_interaction_at is not None and client.last_interaction_at < now:
        return client.last_interaction_at
    return now


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    studio = factory.SubFactory(StudioFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    status = Client.Status.ACTIVE

    last_interaction_at = None
    created_at = factory.LazyAttribute(lambda client: client.added_at or _added_by_first_contact(client))

    class Params:
        added_at = None  # ``ClientFactory(added_at=…)``: when the client was added, its ``created_at``

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
    paid_on = factory.LazyAttribute(lambda payment: payment.studio.local_now().date())


class TouchpointFactory(DjangoModelFactory):
    class Meta:
        model = Touchpoint

    client = factory.SubFactory(ClientFactory)
    studio = factory.SelfAttribute("client.studio")
    kind = Touchpoint.Kind.CALL
    happened_on = factory.LazyAttribute(lambda touchpoint: touchpoint.studio.local_now().date())


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
    sent_at = factory.LazyFunction(timezone.now)

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
