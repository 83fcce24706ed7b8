from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.forms import Form, ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Client
from comms import drafts
from kernel.access import get_for_member, query_pk, scoped, studio_required
from kernel.sweeps import schedule_due_now
from projects import client_drafts, detail_page, services
from projects.forms import (
    ActionItemForm,
    ChangeRequestForm,
    DeadlineForm,
    InstallmentForm,
    MaintenancePlanForm,
    MilestoneForm,
    ProjectForm,
    ResourceForm,
    StatusForm,
    to_minor,
)
from projects.friday import week_bounds
from projects.models import ActionItem, Milestone, Project, Resource
from projects.workflow import TRANSITIONS

DEADLINE_FILTERS = {"overdue", "week", "month"}


@studio_required
def index(request: HttpRequest) -> HttpResponse:
    today = request.studio.local_now().date()
    status = request.GET.get("status", "")
    deadline = request.GET.get("deadline", "")
    projects = (
        scoped(request, Project)
        .select_related("client")
        .annotate(
            open_client_items=Count("action_items", filter=Q(action_items__owner="client", action_items__done_at=None))
        )
    )
    if status == "active":
        projects = projects.filter(status__in=Project.ACTIVE_STATUSES)
    elif status:
        projects = projects.filter(status=status)
    if deadline in DEADLINE_FILTERS:
        open_projects = projects.exclude(status__in=[Project.Status.COMPLETED, Project.Status.CANCELLED])
        days = {"overdue": 0, "week": 7, "month": 31}[deadline]
        if deadline == "overdue":
            projects = open_projects.filter(deadline_on__lt=today)
        else:
            projects = open_projects.filter(deadline_on__gte=today, deadline_on__lte=today + timedelta(days=days))
    page = Paginator(projects.order_by("deadline_on", "title", "pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/index.html",
        {
            "page": page,
            "status": status,
            "deadline": deadline,
            "statuses": Project.Status.choices,
            "today": today,
            "awaiting_deposit": services.projects_awaiting_deposit(studio=request.studio, today=today),
        },
    )


@studio_required
def create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if (client_pk := query_pk(request, "client")) is not None:
        initial["client"] = get_for_member(request, Client, pk=client_pk)
    form = ProjectForm(request.POST or None, studio=request.studio, initial=initial)
    if request.method == "POST" and form.is_valid():
        project = form.save()
        messages.success(request, _("Project created. Add its milestones next."))
        return redirect("projects:detail", pk=project.pk)
    # A new studio has no client yet: the page says so instead of an empty list to pick from.
    no_clients = not form.fields["client"].queryset.exists()
    return render(request, "projects/form.html", {"form": form, "title": _("New project"), "no_clients": no_clients})


@studio_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_member(request, Project, pk=pk)
    form = ProjectForm(request.POST or None, instance=project, studio=request.studio)
    if "deadline_on" in form.fields and project.deadline_on:
        # A set deadline moves only through "Move the date", which asks why and keeps history (R12).
        form.fields["deadline_on"].disabled = True
        form.fields["deadline_on"].help_text = _("Use “Move the date” on the project page: the client is told why.")
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Project saved."))
        return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/form.html", {"form": form, "project": project, "title": project.title})


@studio_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = detail_page.project_detail(studio=request.studio.pk, pk=pk)
    if page is None:
        raise Http404("No Project matches the given query.")
    project = page.project
    today = request.studio.local_now().date()
    received = page.received
    markup = request.studio.markup_percent(project.client.difficulty)
    changes = page.deadline_changes
    sent = client_drafts.project_drafts(request.studio, project, changes)
    notices = [(change, sent.get(drafts.ref(client_drafts.DEADLINE_NOTICE, change.pk))) for change in changes]
    with timezone.override(request.studio.zoneinfo):  # when mail was sent, in the studio's time
        response = render(
            request,
            "projects/detail.html",
            {
                "project": project,
                "page": page,
                "today": today,
                "received": received,
                "changes": notices,
                "maintenance_offer": sent.get(drafts.ref(client_drafts.MAINTENANCE_OFFER, project.pk)),
                "this_week": week_bounds(timezone.now(), request.studio.zoneinfo).key,
                "offer_start": project.status == Project.Status.AWAITING_DEPOSIT
                and 0 < project.deposit_due_minor <= received,
                "work_started_email": page.work_started_email,
                "markup": markup,
                "next_statuses": [
                    (value, label)
                    for value, label in Project.Status.choices
                    if value in TRANSITIONS.get(project.status, ())
                ],  # fmt: skip
                "milestone_form": MilestoneForm(project=project, next_order=len(page.milestones) + 1),
                "action_form": ActionItemForm(),
                "change_form": ChangeRequestForm(),
                "installment_form": InstallmentForm(project=project, milestones=page.milestones),
                "plans": page.plans,
                "library": page.library,
            },
        )
    return response


@studio_required
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_member(request, Project.objects.select_related("client", "studio"), pk=pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        target, reason = form.cleaned_data["status"], form.cleaned_data["override_reason"]
        told = None
        try:
            if target == Project.Status.IN_PROGRESS:
                told = services.project_start_work(
                    project=project, by=request.user, now=timezone.now(), override_reason=reason
                )
            else:
                services.project_set_status(
                    project=project, target=target, by=request.user, now=timezone.now(), override_reason=reason
                )
        except services.ProjectError as error:
            messages.error(request, str(error))
        else:
            text = _("Status: %(status)s.") % {"status": project.get_status_display()}
            if told is not None:
                text += " " + _("%(client)s is told by email that work has started.") % {"client": project.client.name}
            messages.success(request, text)
    return redirect("projects:detail", pk=project.pk)


@studio_required
def move_date(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_member(request, Project, pk=pk)
    form = DeadlineForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.deadline_change(
                project=project,
                new_date=form.cleaned_data["new_date"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                milestone=form.cleaned_data["milestone"],
            )
        except services.ProjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Date moved. The notice to the client is drafted below."))
            return redirect(reverse("projects:detail", args=[project.pk]) + f"#change-{change.pk}")
    return render(request, "projects/form.html", {"form": form, "project": project, "title": _("Move a date")})


@studio_required
@require_POST
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_member(request, Project, pk=pk)
    form = MilestoneForm(request.POST, project=project)
    return _add_to_project(request, project, form, saved=_("Milestone added."), failed=_("Milestone not added"))


@studio_required
@require_POST
def milestone_toggle(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    project = get_for_member(request, Project, pk=pk)
    return _toggle_done(get_object_or_404(project.milestones, pk=milestone_pk))


@studio_required
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_member(request, Project, pk=pk)
    form = ActionItemForm(request.POST)
    return _add_to_project(request, project, form, saved=_("Next step added."), failed=_("Next step not added"))


@studio_required
@require_POST
def action_toggle(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    project = get_for_member(request, Project, pk=pk)
    return _toggle_done(get_object_or_404(project.action_items, pk=item_pk))


@studio_required
@require_POST
def change_request_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_member(request, Project, pk=pk)
    return _add_to_project(
        request,
        project,
        ChangeRequestForm(request.POST),
        saved=_("Change request proposed: the client approves it in their portal."),
        failed=_("Change request not added"),
    )


def _add_to_project(
    request: HttpRequest, project: Project, form: ModelForm, *, saved: str, failed: str
) -> HttpResponse:
    """Save a row that belongs to `project` from `form`; either way, back to the project page."""
    form.instance.project = project
    if form.is_valid():
        form.save()
        messages.success(request, saved)
    else:
        messages.error(request, f"{failed}: {_errors_text(form)}")
    return redirect("projects:detail", pk=project.pk)


def _toggle_done(row: Milestone | ActionItem) -> HttpResponse:
    row.done_at = None if row.done_at else timezone.now()
    row.save(update_fields=["done_at"])
    return redirect("projects:detail", pk=row.project_id)


@studio_required
@require_POST
def installment_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_member(request, Project, pk=pk)
    form = InstallmentForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, _("Installment not added: %(errors)s") % {"errors": _errors_text(form)})
        return redirect("projects:detail", pk=project.pk)
    try:
        services.installment_add(
            project=project,
            amount_minor=to_minor(form.cleaned_data["amount"]),
            due_on=form.cleaned_data["due_on"],
            after_milestone=form.cleaned_data["after_milestone"],
            days_after_milestone=form.cleaned_data["days_after_milestone"] or 0,
        )
    except services.ProjectError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Installment scheduled."))
    return redirect("projects:detail", pk=project.pk)


@studio_required
def maintenance_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A maintenance plan for the project's client, typically right after launch (R7)."""
    project = get_for_member(request, Project.objects.select_related("client"), pk=pk)
    initial = {"currency": project.currency, "start_on": request.studio.local_now().date()}
    form = MaintenancePlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        plan = form.save(commit=False)
        plan.studio, plan.client = request.studio, project.client
        plan.monthly_price_minor = to_minor(form.cleaned_data["monthly_price"])
        plan.save()
        schedule_due_now(plan.studio_id, "maintenance-invoices")  # billed at once if its day has come
        messages.success(request, _("Maintenance plan saved for %(client)s.") % {"client": project.client})
        return redirect("projects:detail", pk=project.pk)
    title = _("Maintenance plan for %(client)s") % {"client": project.client}
    return render(request, "projects/form.html", {"form": form, "project": project, "title": title})


@studio_required
@require_POST
def resource_attach(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_member(request, Project, pk=pk)
    resource = get_for_member(request, Resource, pk=request.POST.get("resource"))
    resource.projects.add(project)
    return redirect("projects:detail", pk=project.pk)


@studio_required
def resources(request: HttpRequest) -> HttpResponse:
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        resource = form.save(commit=False)
        resource.studio = request.studio
        resource.save()
        messages.success(request, _("Added to your library."))
        return redirect("projects:resources")
    library = scoped(request, Resource).annotate(project_count=Count("projects"))
    return render(request, "projects/resources.html", {"form": form, "library": library})


def _errors_text(form: Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)
