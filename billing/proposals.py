"""Proposals: built from a project's quote, sent with a portal link, accepted (and signed) by the client.

Sums are worked out here in whole minor units, the same way the deposit invoice will work them out:
an item's unit price carries the proposal's markup (R17: suggested by the client's difficulty, applied
only when the freelancer chooses it), the deposit is its percentage of the net total, taxed at the
rate the chosen items share (else the studio's default), like ``deposit_invoice_for_proposal``.

The agreement text is the studio's template with a fixed set of placeholders filled in
(``{client}``, ``{project}``, …): nothing else of the models can be reached from a template. What the
client signs is that text, rendered for the options they chose; its SHA-256 is kept with the signature.
A signed agreement never changes: a new text is a new version that needs a new signature.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from billing.models import Agreement, Invoice, Proposal, ProposalItem
from billing.sending import SendingError, agreement_send, invoice_send
from billing.services import billing_profile, deposit_invoice_for_proposal
from billing.totals import divide_half_up, line_tax
from clients.models import Contact
from comms.mail import studio_email_send
from comms.models import OutboxEmail
from comms.scheduling import quiet_hours_send_after
from kernel.dates import day_date, local_date
from kernel.i18n import supported_language
from kernel.links import absolute_url
from kernel.models import User
from kernel.money import format_money
from projects import services as project_services
from projects.models import Project
from projects.portal_access import issue_link
from projects.portal_links import client_zoneinfo, portal_recipients, safe_landing
from projects.reminders import first_name

logger = logging.getLogger("rapport.billing")

PLACEHOLDERS = ("client", "project", "total", "deposit", "studio", "valid_until")
SENT_TEMPLATE = "proposal-sent"
VALID_DAYS = 30
MAX_ADDONS = 8  # the portal page carries the sums of every choice of add-ons: 2**8 at most
USER_AGENT_MAX = 400

DEFAULT_AGREEMENTS = {
    "en": (
        "This agreement is between {studio} and {client} for the project “{project}”.\n\n"
        "1. {studio} delivers the work described in the proposal above, with the options {client} chose.\n"
        "2. The price is {total}. A deposit of {deposit} is due before work starts; the rest is "
        "invoiced as the proposal says.\n"
        "3. Work outside the proposal is agreed in writing and priced separately.\n"
        "4. Once paid in full, {client} owns the final deliverables; {studio} may show the work in "
        "its portfolio unless {client} objects.\n"
        "5. This offer is valid until {valid_until}."
    ),
    "ru": (
        "Настоящее соглашение заключено между {studio} и {client} о проекте «{project}».\n\n"
        "1. {studio} выполняет работы, описанные в предложении выше, с опциями, выбранными {client}.\n"
        "2. Стоимость — {total}. До начала работ вносится предоплата {deposit}; остальное "
        "выставляется счетами, как сказано в предложении.\n"
        "3. Работы вне предложения согласуются письменно и оплачиваются отдельно.\n"
        "4. После полной оплаты итоговые результаты принадлежат {client}; {studio} может показывать "
        "работу в портфолио, если {client} не возражает.\n"
        "5. Предложение действительно до {valid_until}."
    ),
}


class ProposalError(ValueError):
    """A proposal action refused, with a message fit for whoever asked."""


class ProposalExpired(ProposalError):
    pass


class TotalChanged(ProposalError):
    """The total the page showed is not the one the chosen options give: the client must look again."""


# --- sums ------------------------------------------------------------------------------------------


def marked_up(unit_price_minor: int, markup_percent: int) -> int:
    """A unit price with the markup applied, rounded half up to a whole minor unit."""
    return divide_half_up(unit_price_minor * (100 + markup_percent), 100)


@dataclass(frozen=True)
class PricedLine:
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int


@dataclass(frozen=True)
class ProposalTotals:
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    deposit_net_minor: int
    deposit_minor: int  # what the deposit invoice will ask: net deposit plus its tax


def chosen(item: ProposalItem, chosen_ids: Iterable[int] | None) -> bool:
    """Whether an item counts: a fixed item always; an add-on when ticked (``chosen_ids``) or, without
    a choice, when it is ticked by default (``selected``)."""
    if not item.optional:
        return True
    if chosen_ids is None:
        return item.selected
    return item.pk in set(chosen_ids)


def proposal_totals(
    items: Sequence[ProposalItem],
    *,
    markup_percent: int,
    deposit_percent: int,
    default_rate_bp: int,
    chosen_ids: Iterable[int] | None = None,
) -> ProposalTotals:
    ids = None if chosen_ids is None else set(chosen_ids)
    lines = [
        PricedLine(item.quantity, marked_up(item.unit_price_minor, markup_percent), item.tax_rate_bp)
        for item in items
        if chosen(item, ids)
    ]
    subtotal = sum(line.quantity * line.unit_price_minor for line in lines)
    tax = sum(line_tax(line) for line in lines)
    rates = {line.tax_rate_bp for line in lines}
    rate = rates.pop() if len(rates) == 1 else default_rate_bp
    deposit_net = divide_half_up(subtotal * deposit_percent, 100)
    deposit = deposit_net + line_tax(PricedLine(1, deposit_net, rate))
    return ProposalTotals(subtotal, tax, subtotal + tax, deposit_net, deposit)


def totals_for(proposal: Proposal, items: Sequence[ProposalItem], chosen_ids: Iterable[int] | None = None):
    return proposal_totals(
        items,
        markup_percent=proposal.markup_percent,
        deposit_percent=proposal.deposit_percent,
        default_rate_bp=billing_profile(proposal.studio).tax_rate_bp,
        chosen_ids=chosen_ids,
    )


# --- the agreement text ----------------------------------------------------------------------------


def default_agreement_template(language: str) -> str:
    return DEFAULT_AGREEMENTS.get(supported_language(language), DEFAULT_AGREEMENTS["en"])


def unknown_placeholders(template: str) -> list[str]:
    """The ``{name}`` fields of ``template`` that are not ours (``{client.pk}`` included); ValueError
    when its braces don't pair up (``{{`` and ``}}`` write a brace)."""
    unknown = []
    for _literal, field, _spec, _conversion in string.Formatter().parse(template):
        if field is not None and field not in PLACEHOLDERS:
            unknown.append(field)
    return unknown


def agreement_segments(template: str, values: dict[str, str]) -> list[tuple[str, str]]:
    """The filled-in text as ``(text, placeholder)`` pieces (placeholder "" for plain text), so a page
    can mark the amounts that change as options are ticked. Joined, they are ``render_agreement``.

    Only the fixed names are filled in, by ``str.format_map`` over ``values`` (strings): no attribute
    or index of anything is ever looked up. An unknown field stays as written; a template whose braces
    don't pair up is taken as plain text.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return [(template, "")]
    pieces: list[tuple[str, str]] = []
    for literal, field, spec, conversion in parsed:
        if literal:
            pieces.append((literal, ""))
        if field is None:
            continue
        if field in PLACEHOLDERS and not spec and not conversion:
            pieces.append((("{" + field + "}").format_map(values), field))
        else:
            raw = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            pieces.append((raw, ""))
    return pieces


def render_agreement(template: str, values: dict[str, str]) -> str:
    return "".join(text for text, _field in agreement_segments(template, values))


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def agreement_values(proposal: Proposal, totals: ProposalTotals, *, language: str) -> dict[str, str]:
    project = proposal.project
    valid_until = day_date(proposal.valid_until, language=language) if proposal.valid_until else ""
    return {
        "client": project.client.name,
        "project": project.title,
        "total": format_money(totals.total_minor, proposal.currency, language=language),
        "deposit": format_money(totals.deposit_minor, proposal.currency, language=language),
        "studio": proposal.studio.name,
        "valid_until": valid_until,
    }


def choice_key(ids: Iterable[int]) -> str:
    return ",".join(str(pk) for pk in sorted(ids))


def every_choice(proposal: Proposal, items: Sequence[ProposalItem]) -> dict[str, dict[str, object]]:
    """The sums, formatted as the page and the agreement write them, for every choice of add-ons, keyed
    by the sorted ids of the ticked ones: the page's script only looks them up, it never adds money."""
    language = client_language(proposal)
    optional = [item.pk for item in items if item.optional]
    profile_rate = billing_profile(proposal.studio).tax_rate_bp
    choices: dict[str, dict[str, object]] = {}
    for mask in range(2 ** len(optional)):
        ids = [pk for bit, pk in enumerate(optional) if mask >> bit & 1]
        totals = proposal_totals(
            items, markup_percent=proposal.markup_percent, deposit_percent=proposal.deposit_percent,
            default_rate_bp=profile_rate, chosen_ids=ids,
        )  # fmt: skip
        money = {
            name: format_money(getattr(totals, f"{name}_minor"), proposal.currency, language=language)
            for name in ("subtotal", "tax", "total", "deposit")
        }
        choices[choice_key(ids)] = {**money, "total_minor": totals.total_minor}
    return choices


def client_language(proposal: Proposal) -> str:
    return supported_language(proposal.project.client.language)


def proposal_agreement(proposal: Proposal, items: Sequence[ProposalItem], chosen_ids=None):
    """``(totals, segments, text)`` of the proposal for a choice of options, in the client's language."""
    totals = totals_for(proposal, items, chosen_ids)
    values = agreement_values(proposal, totals, language=client_language(proposal))
    segments = agreement_segments(proposal.agreement_text, values)
    return totals, segments, "".join(text for text, _field in segments)


# --- the freelancer writes ------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    title: str
    quantity: int
    unit_price_minor: int
    kind: str = ProposalItem.Kind.ITEM
    description: str = ""
    tax_rate_bp: int = 0
    optional: bool = False
    selected: bool = True


def suggested_markup(project: Project) -> int:
    """R17: the markup the studio suggests for this client's difficulty (never applied by itself)."""
    return project.studio.markup_percent(project.client.difficulty)


def quote_price(project: Project) -> int | None:
    """The price to start from: the agreed price, else the top of the quoted range, else its bottom."""
    for value in (project.price_minor, project.quote_high_minor, project.quote_low_minor):
        if value is not None:
            return value
    return None


def proposal_create(*, project: Project, now: datetime) -> Proposal:
    """A draft built from the project's quote: one package at the quoted price, the project's (else
    the studio's) deposit, valid 30 days, the studio's agreement template (else the default one)."""
    studio = project.studio
    profile = billing_profile(studio)
    language = supported_language(project.client.language)
    deposit = project.deposit_percent if project.deposit_percent is not None else studio.default_deposit_percent
    with transaction.atomic():
        proposal = Proposal.objects.create(
            studio=studio,
            project=project,
            title=project.title,
            intro=project.scope[:5000],
            currency=project.currency,
            markup_percent=0,
            deposit_percent=deposit,
            valid_until=studio.local_now(now).date() + timedelta(days=VALID_DAYS),
            agreement_text=profile.agreement_template or default_agreement_template(language),
            created_at=now,
        )
        price = quote_price(project)
        if price is not None:
            ProposalItem.objects.create(
                proposal=proposal,
                kind=ProposalItem.Kind.PACKAGE,
                title=project.title[:200],
                description=project.deliverables[:2000],
                quantity=1,
                unit_price_minor=price,
                tax_rate_bp=profile.tax_rate_bp,
            )
    return proposal


def _editable(proposal: Proposal) -> Proposal:
    current = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if current.status not in (Proposal.Status.DRAFT, Proposal.Status.SENT):
        raise ProposalError(_("Only a draft or a sent proposal can be edited."))
    return current


def proposal_update(
    *,
    proposal: Proposal,
    title: str,
    intro: str,
    valid_until: date | None,
    deposit_percent: int,
    markup_percent: int,
    agreement_text: str,
    items: Sequence[ItemSpec],
) -> Proposal:
    """Replace a draft's (or a sent proposal's) details and items."""
    if not title.strip():
        raise ProposalError(_("A proposal needs a title."))
    if not 0 <= deposit_percent <= 100:
        raise ProposalError(_("The deposit must be between 0 and 100 %."))
    try:
        if unknown := unknown_placeholders(agreement_text):
            raise ProposalError(_("Unknown placeholders in the agreement: %(names)s.") % {"names": ", ".join(unknown)})
    except ValueError as error:
        if isinstance(error, ProposalError):
            raise
        message = _("The agreement's braces don't pair up: to write a brace itself, type it twice.")
        raise ProposalError(message) from None
    for item in items:
        if not item.title.strip() or item.quantity < 1 or item.unit_price_minor < 0:
            raise ProposalError(_("Every item needs a title, a quantity of at least 1 and a price."))
    if sum(1 for item in items if item.optional) > MAX_ADDONS:
        raise ProposalError(_("A proposal can have at most %(count)s optional add-ons.") % {"count": MAX_ADDONS})
    with transaction.atomic():
        current = _editable(proposal)
        current.title = title.strip()
        current.intro = intro
        current.valid_until = valid_until
        current.deposit_percent = deposit_percent
        current.markup_percent = markup_percent
        current.agreement_text = agreement_text
        current.save()
        current.items.all().delete()
        ProposalItem.objects.bulk_create(
            [
                ProposalItem(
                    proposal=current,
                    kind=item.kind,
                    title=item.title.strip(),
                    description=item.description,
                    quantity=item.quantity,
                    unit_price_minor=item.unit_price_minor,
                    tax_rate_bp=item.tax_rate_bp,
                    optional=item.optional,
                    selected=item.selected if item.optional else True,
                    order=index,
                )
                for index, item in enumerate(items)
            ]
        )
    return current


def proposal_send(*, proposal: Proposal, now: datetime, by: User | None = None) -> list[OutboxEmail]:
    """Email the client a portal link that opens the proposal; the proposal is then sent.

    One email per proposal and contact (sending again queues nothing new). Raises ``ProposalError``
    for a proposal without items, one already accepted or withdrawn, or a client without a contact.
    """
    project = Project.objects.select_related("client", "studio").get(pk=proposal.project_id)
    client, studio = project.client, project.studio
    if not proposal.items.exists():
        raise ProposalError(_("Add at least one item before sending the proposal."))
    contacts = portal_recipients(project, now=now)
    if not contacts:
        raise ProposalError(_("The client has no contact to send the proposal to."))
    language = supported_language(client.language)
    landing = safe_landing(reverse("portal:proposal", kwargs={"pk": proposal.pk}))
    send_after = quiet_hours_send_after(
        now, tz=studio.zoneinfo, working_hours=studio.working_hours, holidays=studio.holiday_spec
    )
    queued = []
    with transaction.atomic():
        current = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if current.status not in (Proposal.Status.DRAFT, Proposal.Status.SENT):
            raise ProposalError(_("Only a draft can be sent."))
        used = set(
            OutboxEmail.objects.filter(
                studio=studio, idempotency_key__in=[_sent_key(current, contact) for contact in contacts]
            ).values_list("idempotency_key", flat=True)
        )
        for contact in contacts:
            if _sent_key(current, contact) in used:
                continue
            _link, token = issue_link(contact, now=now, created_by=by, landing=landing)
            with translation.override(language):
                valid_until = day_date(current.valid_until, language=language) if current.valid_until else ""
                expires_on = day_date(local_date(_link.expires_at, client_zoneinfo(contact)))
            queued.append(
                studio_email_send(
                    studio=studio,
                    to=[contact.email],
                    template=SENT_TEMPLATE,
                    context={
                        "first_name": first_name(contact),
                        "project_title": project.title,
                        "proposal_title": current.title,
                        "valid_until": valid_until,
                        "portal_url": absolute_url("portal:enter", token=token),
                        "expires_on": expires_on,
                    },
                    idempotency_key=_sent_key(current, contact),
                    send_after=send_after,
                    client=client,
                    project=project,
                    language=language,
                    secrets=[token],
                )
            )
        if current.status == Proposal.Status.DRAFT:
            current.status, current.sent_at = Proposal.Status.SENT, now
            current.save(update_fields=["status", "sent_at"])
        if project.status == Project.Status.LEAD:  # a proposal sent is a quote given
            try:
                project_services.project_set_status(project=project, target=Project.Status.QUOTED, by=by, now=now)
            except project_services.ProjectError:
                logger.warning("Project %s not moved to quoted on sending a proposal", project.pk, exc_info=True)
    proposal.status, proposal.sent_at = current.status, current.sent_at
    return queued


def _sent_key(proposal: Proposal, contact: Contact) -> str:
    return f"{SENT_TEMPLATE}:{proposal.pk}:{contact.pk}"


def proposal_withdraw(*, proposal: Proposal) -> Proposal:
    with transaction.atomic():
        current = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if current.status not in (Proposal.Status.DRAFT, Proposal.Status.SENT):
            raise ProposalError(_("Only a draft or a sent proposal can be withdrawn."))
        current.status = Proposal.Status.WITHDRAWN
        current.save(update_fields=["status"])
    return current


# --- the client accepts ---------------------------------------------------------------------------


def expired(proposal: Proposal, now: datetime) -> bool:
    return proposal.valid_until is not None and proposal.studio.local_now(now).date() > proposal.valid_until


@dataclass(frozen=True)
class Signature:
    name: str
    email: str
    ip: str | None
    user_agent: str


@dataclass(frozen=True)
class Acceptance:
    proposal: Proposal
    agreement: Agreement
    invoice: Invoice | None
    created: bool  # False when it had been accepted already (a second submit)


def proposal_accept(
    *,
    proposal: Proposal,
    chosen_ids: Iterable[int],
    shown_total_minor: int | None,
    signature: Signature,
    now: datetime,
) -> Acceptance:
    """The client accepts the proposal with the add-ons they ticked, signing its agreement.

    Everything is worked out again here from the rows: the total the page showed is only compared
    (``TotalChanged`` when it differs, so the client looks again). Records the agreement (the exact
    text for those options, its SHA-256, name, email, time, address, user agent), the proposal's
    choice and accepted net total, the project's own acceptance fields (R11's "awaiting deposit" and
    Today read them), the agreed price and deposit, and issues the deposit invoice; then emails the
    invoice and the signed agreement. The proposal row is locked: a second submit returns the first
    acceptance (``created`` False).
    """
    if not signature.name.strip():
        raise ProposalError(_("Type your full name to sign."))
    with transaction.atomic():
        current = (
            Proposal.objects.select_for_update(of=("self",))
            .select_related("studio", "project__client")
            .get(pk=proposal.pk)
        )
        if current.status == Proposal.Status.ACCEPTED:
            agreement = current.agreements.order_by("version").first()
            invoice = Invoice.objects.filter(proposal=current, kind=Invoice.Kind.DEPOSIT).first()
            return Acceptance(current, agreement, invoice, created=False)
        if current.status != Proposal.Status.SENT:
            raise ProposalError(_("This proposal is no longer open."))
        if expired(current, now):
            raise ProposalExpired(_("This proposal has expired: ask us for a new one."))
        items = list(current.items.all())
        ids = {item.pk for item in items if item.optional} & set(chosen_ids)
        totals, _segments, text = proposal_agreement(current, items, ids)
        if shown_total_minor != totals.total_minor:
            raise TotalChanged(_("The total has changed with your options: please check it and sign again."))
        for item in items:
            if item.optional:
                item.selected = item.pk in ids
        ProposalItem.objects.bulk_update([item for item in items if item.optional], ["selected"])
        current.status, current.accepted_at, current.accepted_total_minor = (
            Proposal.Status.ACCEPTED,
            now,
            totals.subtotal_minor,
        )
        current.save(update_fields=["status", "accepted_at", "accepted_total_minor"])
        project = current.project
        version = (Agreement.objects.filter(project=project).aggregate(last=Max("version"))["last"] or 0) + 1
        agreement = Agreement.objects.create(
            studio=current.studio,
            project=project,
            proposal=current,
            version=version,
            text=text,
            text_sha256=text_sha256(text),
            signed_name=signature.name.strip()[:200],
            signed_email=signature.email,
            signed_at=now,
            signed_ip=signature.ip,
            signed_user_agent=signature.user_agent[:USER_AGENT_MAX],
            created_at=now,
        )
        invoice = deposit_invoice_for_proposal(proposal=current, now=now) if current.deposit_percent else None
        _project_accepted(project, current, totals, invoice, signature=signature, now=now)
    _send_quietly(invoice_send, invoice=invoice, now=now) if invoice is not None else None
    _send_quietly(agreement_send, agreement=agreement, now=now)
    return Acceptance(current, agreement, invoice, created=True)


def _project_accepted(
    project: Project, proposal: Proposal, totals: ProposalTotals, invoice: Invoice | None, *, signature, now
) -> None:
    """The project as the old agreement checkbox left it, plus the agreed price and deposit: R11's
    "awaiting deposit", Today and the deposit reminders keep working on these fields."""
    # Accepted before (an earlier proposal or the old checkbox): the first acceptance stands.
    with contextlib.suppress(project_services.ProjectError):
        project_services.agreement_accept(
            project=project, name=signature.name, email=signature.email, ip=signature.ip, now=now
        )
    Project.objects.filter(pk=project.pk).update(
        price_minor=totals.subtotal_minor,
        deposit_amount_minor=invoice.total_minor if invoice is not None else 0,
        updated_at=now,
    )
    project.refresh_from_db()
    Status = Project.Status
    targets = {Status.LEAD: (Status.QUOTED, Status.AWAITING_DEPOSIT), Status.QUOTED: (Status.AWAITING_DEPOSIT,)}
    if invoice is None:
        return
    for target in targets.get(project.status, ()):
        try:
            project_services.project_set_status(project=project, target=target, by=None, now=now)
        except project_services.ProjectError:
            logger.warning("Project %s not moved to %s on acceptance", project.pk, target, exc_info=True)
            break


def _send_quietly(send, **kwargs) -> None:
    try:
        send(**kwargs)
    except (SendingError, ValueError):
        logger.warning("Not sent after a proposal was accepted: %s", send.__name__, exc_info=True)


# --- agreement versions ---------------------------------------------------------------------------


def agreement_countersign(*, agreement: Agreement, by: User, now: datetime) -> Agreement:
    """The freelancer countersigns a signed agreement; both sides get its PDF again (with both names)."""
    with transaction.atomic():
        current = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if current.signed_at is None:
            raise ProposalError(_("The client has not signed this version yet."))
        if current.countersigned_at is not None:
            raise ProposalError(_("This agreement is already countersigned."))
        current.countersigned_by, current.countersigned_at = by, now
        current.save(update_fields=["countersigned_by", "countersigned_at"])
    _send_quietly(agreement_send, agreement=current, now=now, key_suffix="countersigned")
    return current


def agreement_revise(*, agreement: Agreement, text: str, now: datetime) -> Agreement:
    """A new version of a project's agreement with ``text``, to be signed again; the signed one stays.

    Only the latest version, once signed, can be revised: a version is never edited.
    """
    if not text.strip():
        raise ProposalError(_("The agreement cannot be empty."))
    with transaction.atomic():
        versions = Agreement.objects.select_for_update().filter(project_id=agreement.project_id)
        latest = versions.order_by("-version").first()
        if latest is None or latest.pk != agreement.pk:
            raise ProposalError(_("Only the latest version can be revised."))
        if latest.signed_at is None:
            raise ProposalError(_("The latest version is not signed yet: wait for the signature first."))
        if text == latest.text:
            raise ProposalError(_("The text is unchanged."))
        return Agreement.objects.create(
            studio_id=latest.studio_id,
            project_id=latest.project_id,
            proposal_id=latest.proposal_id,
            version=latest.version + 1,
            text=text,
            text_sha256=text_sha256(text),
            created_at=now,
        )


def agreement_sign(*, agreement: Agreement, signature: Signature, now: datetime) -> tuple[Agreement, bool]:
    """The client signs a new version (its text exactly as stored and shown); False when signed already."""
    if not signature.name.strip():
        raise ProposalError(_("Type your full name to sign."))
    with transaction.atomic():
        current = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if current.signed_at is not None:
            return current, False
        current.text_sha256 = text_sha256(current.text)
        current.signed_name = signature.name.strip()[:200]
        current.signed_email = signature.email
        current.signed_at = now
        current.signed_ip = signature.ip
        current.signed_user_agent = signature.user_agent[:USER_AGENT_MAX]
        current.save()
    _send_quietly(agreement_send, agreement=current, now=now)
    return current, True
