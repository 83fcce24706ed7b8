import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from billing.models import BillingProfile, NumberSequence
from billing.numbering import format_number, next_number, pattern_errors, validate_pattern
from tests.factories import StudioFactory


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{year}-{seq:04d}", "2026-0042"),
        ("INV-{seq}", "INV-42"),
        ("{seq:06d}/{year}", "000042/2026"),
        ("R{year}{seq:03d}", "R2026042"),
    ],
)
def test_format_number(pattern, expected):
    assert format_number(pattern, year=2026, seq=42) == expected


@pytest.mark.parametrize(
    "pattern",
    ["{year}", "", "   ", "{seq:4d}", "{seq:04x}", "{month}-{seq}", "{seq}}", "{{seq}}", "{seq!r}", "{0}{seq}",
     "{seq:010d}", "{year:02d}-{seq}", "x" * 41 + "{seq}"],
)  # fmt: skip
def test_invalid_patterns_are_refused(pattern):
    assert pattern_errors(pattern)
    with pytest.raises(ValidationError):
        validate_pattern(pattern)
    with pytest.raises(ValueError, match="number pattern|braces"):
        format_number(pattern, year=2026, seq=1)


def test_pattern_without_seq_says_so():
    assert "The number pattern must contain {seq}." in pattern_errors("{year}")


@pytest.mark.django_db
def test_numbers_are_consecutive_per_year():
    studio = StudioFactory()
    with transaction.atomic():
        assert next_number(studio=studio, year=2026) == (1, "2026-0001")
        assert next_number(studio=studio, year=2026) == (2, "2026-0002")
        assert next_number(studio=studio, year=2027) == (1, "2027-0001")
    assert set(NumberSequence.objects.filter(studio=studio).values_list("period", "last")) == {(2026, 2), (2027, 1)}


@pytest.mark.django_db
def test_a_pattern_without_year_never_restarts():
    studio = StudioFactory()
    BillingProfile.objects.create(studio=studio, number_pattern="INV-{seq:03d}")
    with transaction.atomic():
        assert next_number(studio=studio, year=2026) == (1, "INV-001")
        assert next_number(studio=studio, year=2027) == (2, "INV-002")
    assert NumberSequence.objects.get(studio=studio).period == 0


@pytest.mark.django_db
def test_studios_count_apart_and_a_rollback_gives_the_number_back():
    studio, other = StudioFactory(), StudioFactory()
    with transaction.atomic():
        next_number(studio=studio, year=2026)
    try:
        with transaction.atomic():
            next_number(studio=studio, year=2026)
            raise RuntimeError("issue failed")
    except RuntimeError:
        pass
    with transaction.atomic():
        assert next_number(studio=other, year=2026)[0] == 1
        assert next_number(studio=studio, year=2026)[0] == 2
