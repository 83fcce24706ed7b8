"""Demo projects for `seed_demo`: one or more in every status. Idempotent: matched by title."""

from datetime import date, datetime, time, timedelta

from clients.models import Client, Contact, Payment
from kernel.links import absolute_url
from kernel.models import Studio
from projects.models import ActionItem, Call, ChangeRequest, DeadlineChange, Milestone, Project, Resource
from projects.portal_access import issue_link
from projects.services import deadline_notice

# (client name, title, status, price in euros, start offset days, deadline offset days)
DEMO_PROJECTS = [
    ("Papercraft Weddings", "Wedding planner site", "lead", None, None, None),
    ("Volt EV Chargers", "Charger finder app landing page", "quoted", 6_500, 14, 60),
    ("Willow Kindergarten", "Kindergarten website", "awaiting_deposit", 3_200, 7, 45),
    ("Harbor & Pine Architects", "Portfolio relaunch", "in_progress", 14_000, -40, 25),
    ("Moss Coffee Roasters", "Subscription shop", "in_review", 9_800, -60, 5),
    ("Kite Legal", "Client intake forms", "waiting_on_client", 4_400, -30, 12),
    ("Brightside Dental", "Booking widget", "in_progress", 3_900, -20, -2),
    ("Aurora Yoga Studio", "Class schedule redesign", "launched", 2_800, -80, -10),
    ("Pixel Parade Games", "Press kit site", "completed", 5_200, -400, -330),
    ("Little Fox Bookshop", "Online bookshop", "completed", 4_000, -150, -90),
    ("Nordwind Sailing School", "Course booking", "on_hold", 6_000, -50, 40),
    ("Orbit Analytics", "Dashboard marketing site", "cancelled", 7_500, -300, -240),
]
# Statuses that come after the deposit: the demo shows it received and the agreement accepted.
STARTED = ("in_progress", "in_review", "waiting_on_client", "launched", "completed", "on_hold")
MILESTONES = ["Discovery call and brief", "Home page design", "Inner pages", "Build and content", "Launch"]


def demo_projects_seed(studio: Studio, *, today: date) -> None:
    faq, _ = Resource.objects.get_or_create(
        studio=studio, title="How do I edit a page myself?", defaults={"kind": Resource.Kind.FAQ,
        "answer": "Sign in at /admin, open Pages, edit the text and press Publish. Changes are live at once."},
    )  # fmt: skip
    video, _ = Resource.objects.get_or_create(
        studio=studio, title="Screencast: your new site in 5 minutes",
        defaults={"kind": Resource.Kind.SCREENCAST, "url": "https://example.com/screencasts/tour"},
    )  # fmt: skip
    for client_name, title, status, price, start, deadline in DEMO_PROJECTS:
        client = Client.objects.filter(studio=studio, name=client_name).first()
        if client is None or Project.objects.filter(studio=studio, title=title).exists():
            continue
        start_on = today + timedelta(days=start) if start is not None else None
        project = Project.objects.create(
            studio=studio, client=client, title=title, status=status, currency=studio.currency,
            price_minor=price * 100 if price else None,
            quote_low_minor=int(price * 90) if price else None, quote_high_minor=int(price * 115) if price else None,
            deposit_percent=studio.default_deposit_percent if price else None,
            start_on=start_on, deadline_on=today + timedelta(days=deadline) if deadline is not None else None,
            deliverables="Home + 4 inner page mock-ups as Figma files, then the built site on your hosting.",
            scope="Design and build of the pages listed above, with one round of revisions per page.",
            active_from=start_on if status in Project.ACTIVE_STATUSES else None,
            # Asked for eight days ago: the 7-day deposit reminder is due in the demo's outbox.
            deposit_requested_at=(
                datetime.combine(today - timedelta(days=8), time(10), tzinfo=studio.zoneinfo)
                if status == "awaiting_deposit" else None
            ),
        )  # fmt: skip
        if start_on is None or project.deadline_on is None:
            continue
        span = (project.deadline_on - start_on).days
        done_until = {"in_progress": 2, "in_review": 4, "waiting_on_client": 3, "launched": 5, "completed": 5}
        for order, name in enumerate(MILESTONES, start=1):
            due_on = start_on + timedelta(days=span * order // len(MILESTONES))
            done_at = datetime.combine(due_on, time(16), tzinfo=studio.zoneinfo)
            if order > done_until.get(status, 0):
                done_at = None
            Milestone.objects.create(project=project, title=name, order=order, due_on=due_on, done_at=done_at)
        if status in Project.ACTIVE_STATUSES:
            for text, due_in in (("Send the final texts for the About page", 2), ("Approve the home page design", -1)):
                ActionItem.objects.create(
                    project=project, owner=ActionItem.Owner.CLIENT, text=text, due_on=today + timedelta(days=due_in)
                )
            project.resources.add(faq, video)
        if status == "waiting_on_client":
            reason = "The photo shoot moved by a week, and the gallery pages need the photos."
            old_date = project.deadline_on - timedelta(days=7)
            subject, text = deadline_notice(
                project=project, milestone=None, old_date=old_date, new_date=project.deadline_on, reason=reason
            )
            DeadlineChange.objects.create(
                project=project, old_date=old_date, new_date=project.deadline_on, reason=reason,
                notice_subject=subject, notice_text=text,
            )  # fmt: skip
    _settle_started_projects(studio)


def _settle_started_projects(studio: Studio) -> None:
    """A project past its deposit has it received and its agreement accepted, a few days before it started.

    Also mends a demo seeded before this rule: only what is missing is added.
    """
    started = Project.objects.filter(studio=studio, status__in=STARTED, start_on__isnull=False).select_related("client")
    for project in started:
        if project.agreement_accepted_at is None:
            contact = Contact.objects.filter(client=project.client).order_by("-is_primary", "pk").first()
            accepted_on = project.start_on - timedelta(days=5)
            Project.objects.filter(pk=project.pk).update(
                agreement_accepted_at=datetime.combine(accepted_on, time(15), tzinfo=studio.zoneinfo),
                agreement_accepted_name=contact.name if contact else project.client.name,
                agreement_accepted_email=contact.email if contact else "",
            )  # fmt: skip
        due = project.deposit_due_minor
        if due and not Payment.objects.filter(project=project).exists():
            Payment.objects.create(
                studio=studio, client=project.client, project=project, amount_minor=due, currency=project.currency,
                paid_on=project.start_on - timedelta(days=2), method=Payment.Method.BANK, note="Deposit",
            )  # fmt: skip


def demo_portal_seed(studio: Studio, *, now: datetime) -> str:
    """A change request to decide, a call booked for the next working day, and a fresh portal link.

    Returns the link's URL (a new one each run; older links keep working until they expire) so that
    `make run` can print how to open the portal as the demo's client.
    """
    harbor = Project.objects.filter(studio=studio, title="Portfolio relaunch").select_related("client").first()
    if harbor is None:
        return ""
    if harbor.agreement_accepted_at is None:
        contact = Contact.objects.filter(client=harbor.client).order_by("-is_primary", "pk").first()
        Project.objects.filter(pk=harbor.pk).update(
            agreement_accepted_at=now - timedelta(days=45),
            agreement_accepted_name=contact.name if contact else harbor.client.name,
            agreement_accepted_email=contact.email if contact else "",
        )
    ChangeRequest.objects.get_or_create(
        project=harbor, title="German version of every page",
        defaults={"description": "Translate and lay out the five pages in German, with a language switch.",
                  "price_minor": 1_800_00},
    )  # fmt: skip
    kite = Client.objects.filter(studio=studio, name="Kite Legal").first()
    topic = "Which intake questions are required by law"
    if kite is not None and not Call.objects.filter(studio=studio, client=kite, topic=topic).exists():
        day = now.astimezone(studio.zoneinfo).date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        starts = datetime.combine(day, time(11), tzinfo=studio.zoneinfo)
        Call.objects.create(
            studio=studio, client=kite, contact=kite.contacts.order_by("-is_primary", "pk").first(),
            starts_at=starts, ends_at=starts + timedelta(minutes=15), topic=topic,
        )  # fmt: skip
    contact = Contact.objects.filter(client=harbor.client).order_by("-is_primary", "pk").first()
    if contact is None:
        return ""
    _link, token = issue_link(contact, now=now)
    return absolute_url("portal:enter", token=token)
