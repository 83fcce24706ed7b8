"""`kernel.queries.Prepared` reads what the ORM reads, with the SQL compiled once."""

from datetime import date

import pytest
from django.db.models import Count
from django.utils import timezone

from kernel.queries import Prepared
from projects.models import DeadlineChange, Milestone, Project
from tests.factories import ClientFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

MILESTONES = Prepared(lambda project: Milestone.objects.filter(project=project))
CHANGES = Prepared(lambda project: DeadlineChange.objects.filter(project=project).select_related("milestone"))
TITLES = Prepared(
    lambda studio, project: Milestone.objects.filter(project__studio=studio, project=project).values_list(
        "title", "due_on"
    )
)
PROJECT_IDS = Prepared(lambda studio: Project.objects.filter(studio=studio).order_by("pk").values_list("pk", flat=True))
COUNTED = Prepared(
    lambda studio: Project.objects.filter(studio=studio).annotate(steps=Count("milestones")).order_by("pk")
)


@pytest.fixture
def project(studio):
    project = ProjectFactory(studio=studio, client=ClientFactory(studio=studio))
    MilestoneFactory(project=project, title="Kick-off", order=1, due_on=date(2026, 3, 2), done_at=timezone.now())
    MilestoneFactory(project=project, title="Launch", order=2, due_on=None)
    return project


def fields(row):
    return {field.attname: getattr(row, field.attname) for field in type(row)._meta.concrete_fields}


def test_model_rows_as_the_orm_reads_them(project, django_assert_num_queries):
    expected = [fields(row) for row in Milestone.objects.filter(project=project)]
    with django_assert_num_queries(1):
        rows = MILESTONES(project=project.pk)
    assert [fields(row) for row in rows] == expected
    assert rows[0].done_at.tzinfo is not None
    assert rows[0].due_on == date(2026, 3, 2)
    assert MILESTONES(project=project.pk + 1000) == []


def test_select_related_and_annotations(project, django_assert_num_queries):
    milestone = project.milestones.first()
    DeadlineChange.objects.create(project=project, milestone=milestone, new_date=date(2026, 4, 1), reason="Late")
    with django_assert_num_queries(1):
        (change,) = CHANGES(project=project.pk)
        assert change.milestone.title == milestone.title
    (counted,) = COUNTED(studio=project.studio_id)
    assert counted.pk == project.pk
    assert counted.steps == 2


def test_values_list_tuples_and_flat(project, other_studio):
    assert TITLES(studio=project.studio_id, project=project.pk) == list(
        Milestone.objects.filter(project=project).values_list("title", "due_on")
    )
    assert TITLES(studio=other_studio.pk, project=project.pk) == []  # scoped: the studio is a bound parameter
    assert PROJECT_IDS(studio=project.studio_id) == [project.pk]


def test_the_sql_is_compiled_once(project):
    calls = []
    prepared = Prepared(lambda project: calls.append(project) or Milestone.objects.filter(project=project))
    prepared(project=project.pk)
    prepared(project=project.pk)
    assert len(calls) == 1


def test_an_id_past_64_bits_matches_nothing(project):
    assert MILESTONES(project=2**63) == []
    assert MILESTONES(project=-(2**64)) == []


def test_refuses_what_it_cannot_bind():
    with pytest.raises(ValueError, match="does not use"):
        Prepared(lambda project: Milestone.objects.all())(project=1)
    with pytest.raises(TypeError):
        Prepared(lambda project: Project.objects.filter(pk=project).prefetch_related("milestones"))(project=1)
    with pytest.raises(TypeError):
        Prepared(lambda project: Milestone.objects.filter(project=project).values("title"))(project=1)
