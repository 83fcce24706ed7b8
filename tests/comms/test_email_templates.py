"""Email templates: safe placeholders, rendering, built-ins in both languages, studio versions."""

import pytest

from comms.coach import review
from comms.email_templates import (
    ALLOWED_VARIABLES,
    BUILTIN,
    BUILTIN_KEYS,
    LANGUAGES,
    SAMPLE_VALUES,
    TemplateProblem,
    UnknownTemplate,
    available_templates,
    missing_variables,
    placeholders_in,
    render,
    sample_variables,
    template_for,
    template_problems,
    text_to_html,
    validate_template,
)
from comms.models import EmailTemplate

EXPECTED_KEYS = {
    "acknowledgment",
    "friday_update",
    "next_steps",
    "deadline_change",
    "deposit_request",
    "maintenance_offer",
    "call_proposal",
    "yearly_card",
    "check_in",
    "survey_invitation",
}
ACTION_KEYS = EXPECTED_KEYS - {"acknowledgment", "yearly_card", "check_in"}
BUILTINS = sorted(BUILTIN)


# --- Built-ins ---------------------------------------------------------------------------------


def test_every_built_in_exists_in_english_and_russian():
    assert set(BUILTIN_KEYS) == EXPECTED_KEYS
    assert set(BUILTIN) == {(key, language) for key in EXPECTED_KEYS for language in ("en", "ru")}


@pytest.mark.parametrize(("key", "language"), BUILTINS)
def test_every_built_in_validates_and_renders_fully_with_sample_values(key, language):
    template = BUILTIN[key, language]
    validate_template(template.subject, template.body)
    email = render(template.subject, template.body, sample_variables(language))

    assert "{{" not in email.subject + email.text + email.html
    assert "[" not in email.subject
    assert missing_variables(template.subject, template.body, sample_variables(language)) == []
    assert SAMPLE_VALUES[language]["sender_name"] in email.text.splitlines()[-1]


@pytest.mark.parametrize(("key", "language"), BUILTINS)
def test_built_ins_that_ask_for_action_end_with_a_bold_next_steps_block(key, language):
    template = BUILTIN[key, language]
    heading = {"en": "Next steps:", "ru": "Следующие шаги:"}[language]

    assert template.requires_action == (key in ACTION_KEYS)
    if template.requires_action:
        paragraphs = template.body.split("\n\n")
        assert paragraphs[-2].startswith(heading), "the block comes last, before the sign-off"
        email = render(template.subject, template.body, sample_variables(language))
        assert f"<strong>{heading}</strong>" in email.html


@pytest.mark.parametrize(("key", "language"), BUILTINS)
def test_every_built_in_passes_the_email_coach(key, language):
    template = BUILTIN[key, language]
    email = render(template.subject, template.body, sample_variables(language))

    assert review(email.subject, email.text, template.requires_action) == []


def test_the_acknowledgment_states_when_the_full_answer_comes():
    for language in LANGUAGES:
        template = BUILTIN["acknowledgment", language]
        assert "promised_date" in placeholders_in(template.subject)
        assert "promised_date" in placeholders_in(template.body)


def test_sample_values_cover_every_allowed_variable():
    for language in LANGUAGES:
        assert set(SAMPLE_VALUES[language]) == set(ALLOWED_VARIABLES)
    assert sample_variables("el") == dict(SAMPLE_VALUES["en"])


# --- Validation --------------------------------------------------------------------------------


def test_an_unknown_placeholder_is_refused_with_its_name_and_the_allowed_ones():
    with pytest.raises(TemplateProblem) as problem:
        validate_template("Hello", "Your password: {{ client.password }}")

    [message] = problem.value.body_problems
    assert message.startswith("Unknown placeholder {{ client.password }}: use one of: client_name,")
    assert problem.value.subject_problems == ()
    assert "client.password" in str(problem.value)


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ("{{ client.__class__ }}", "{{ client.__class__ }}"),
        ("{{ client_name.__class__.__mro__ }}", "{{ client_name.__class__.__mro__ }}"),
        ("{{ client_name|upper }}", "{{ client_name|upper }}"),
        ("{{ x|filter }}", "{{ x|filter }}"),
        ("{{ request }}", "{{ request }}"),
        ("{{ settings.SECRET_KEY }}", "{{ settings.SECRET_KEY }}"),
        ("{{ client_name() }}", "{{ client_name() }}"),
        ("{{ Client_Name }}", "{{ Client_Name }}"),
        ("{% load static %}", "{% load static %}"),
        ("{% debug %}", "{% debug %}"),
        ("{# hidden #}", "{# hidden #}"),
        ("Hello {{ client_name }", "“{{” is not closed"),
        ("Hello client_name }}", "“}}” has no opening"),
        ("{{ client_name\n}}", "“{{” is not closed"),
        ("{{ }}", "Empty placeholder"),
    ],
)
def test_anything_but_a_whitelisted_name_is_refused(text, culprit):
    problems = template_problems(text)

    assert problems
    assert culprit in problems[0]


def test_problems_are_reported_per_field_and_once_each():
    with pytest.raises(TemplateProblem) as problem:
        validate_template("{{ subject_thing }}", "{{ a }} {{ a }} {% if x %}")

    assert problem.value.subject_problems[0].startswith("Unknown placeholder {{ subject_thing }}")
    assert len(problem.value.body_problems) == 2


def test_single_braces_and_spacing_variants_are_fine():
    assert template_problems("Price {in braces} and {{client_name}} and {{   project_name   }}") == []
    assert placeholders_in("{{client_name}} {{ project_name }} {{ client_name }}") == ["client_name", "project_name"]


def test_rendering_an_invalid_template_raises():
    with pytest.raises(TemplateProblem):
        render("Hi", "{{ client.password }}", {"client": "x"})


# --- Rendering ---------------------------------------------------------------------------------


def test_values_are_plain_strings_substituted_once():
    email = render(
        "For {{ client_name }}",
        "Dear {{ contact_first_name }}, {{ project_name }}",
        {"client_name": "Acme", "contact_first_name": "{{ sender_name }}", "project_name": 42, "sender_name": "Me"},
    )

    assert email.subject == "For Acme"
    assert email.text == "Dear {{ sender_name }}, 42\n"


def test_missing_values_leave_a_visible_marker_and_are_listed():
    subject, body = "Answer by {{ promised_date }}", "Hello {{ contact_first_name }}, {{ reason }}"
    variables = {"contact_first_name": "Anna", "reason": "   "}

    email = render(subject, body, variables)

    assert email.subject == "Answer by [promised_date]"
    assert email.text == "Hello Anna, [reason]\n"
    assert missing_variables(subject, body, variables) == ["promised_date", "reason"]


def test_line_breaks_in_subject_values_cannot_inject_headers():
    email = render("Update: {{ project_name }}", "Hi", {"project_name": "Site\r\nBcc: evil@example.com"})

    assert email.subject == "Update: Site Bcc: evil@example.com"
    assert "\n" not in email.subject


def test_html_escapes_every_value_and_the_template_text():
    email = render(
        "Hi",
        "Hello {{ client_name }} & <b>friends</b>\n\n{{ reason }}",
        {"client_name": "<script>alert(1)</script>", "reason": '"><img src=x onerror=alert(1)>'},
    )

    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "&amp; &lt;b&gt;friends&lt;/b&gt;" in email.html
    assert "<img" not in email.html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in email.html
    assert email.text.startswith("Hello <script>alert(1)</script> & <b>friends</b>")


def test_html_keeps_paragraphs_and_line_breaks():
    html = text_to_html("One\ntwo\n\nThree")

    assert html == "<p>One<br>\ntwo</p>\n<p>Three</p>"


def test_html_bolds_the_next_steps_heading_and_its_items():
    text = "Hello,\n\nPlease pay.\nNext steps:\n1. Pay <now>.\n2. Reply.\n\nThanks,\nSam"

    html = text_to_html(text, next_steps_class="steps")

    assert '<p>Please pay.</p>\n<p class="steps"><strong>Next steps:</strong><br>\n' in html
    assert "<strong>1. Pay &lt;now&gt;.</strong><br>\n<strong>2. Reply.</strong></p>" in html
    assert "<p>Thanks,<br>\nSam</p>" in html


def test_the_email_html_styles_the_next_steps_block_inline():
    email = render("Hi", "Следующие шаги:\n{{ next_steps }}", {"next_steps": "1. Оплатить"})

    assert email.html.startswith("<!doctype html>")
    assert '<p style="padding: 0.75em 1em; background: #f1f3f5;"><strong>Следующие шаги:</strong>' in email.html
    assert "<strong>1. Оплатить</strong>" in email.html


def test_links_are_clickable_but_only_http_and_escaped():
    html = text_to_html(
        'Book here: https://cal.example/a?b=1&c="x" (or javascript:alert(1)).\nSee https://x.example/p.'
    )

    assert '<a href="https://cal.example/a?b=1&amp;c=">https://cal.example/a?b=1&amp;c=</a>' in html
    assert "javascript:alert(1)" in html
    assert 'href="javascript' not in html
    assert '<a href="https://x.example/p">https://x.example/p</a>.' in html


# --- Studio templates --------------------------------------------------------------------------


def test_template_for_falls_back_to_the_built_in(studio):
    assert template_for(studio, "deposit_request", "ru") == (
        BUILTIN["deposit_request", "ru"].subject,
        BUILTIN["deposit_request", "ru"].body,
        BUILTIN["deposit_request", "ru"].name,
    )
    assert template_for(None, "check_in", "en")[2] == BUILTIN["check_in", "en"].name


def test_template_for_prefers_the_studios_own_version(studio, other_studio):
    EmailTemplate.objects.create(studio=studio, key="check_in", language="en", name="Mine", subject="S", body="B")

    assert template_for(studio, "check_in", "en") == ("S", "B", "Mine")
    assert template_for(studio, "check_in", "ru")[2] == BUILTIN["check_in", "ru"].name
    assert template_for(other_studio, "check_in", "en")[2] == BUILTIN["check_in", "en"].name


def test_an_unknown_template_raises(studio):
    with pytest.raises(UnknownTemplate):
        template_for(studio, "no_such_template", "en")


def test_available_templates_merge_built_ins_and_the_studios_rows_in_one_query(
    studio, other_studio, django_assert_num_queries
):
    EmailTemplate.objects.create(studio=studio, key="check_in", language="ru", name="Моя", subject="S", body="B")
    EmailTemplate.objects.create(
        studio=studio, key="invoice_reminder", language="en", name="Invoice", subject="S", body="Next steps:\n1. Pay"
    )
    EmailTemplate.objects.create(
        studio=other_studio, key="check_in", language="en", name="Theirs", subject="S", body="B"
    )

    with django_assert_num_queries(1):
        choices = available_templates(studio)

    assert [(c.key, c.language) for c in choices][:2] == [("acknowledgment", "en"), ("acknowledgment", "ru")]
    assert len(choices) == len(BUILTIN) + 1
    by_key = {(c.key, c.language): c for c in choices}
    assert by_key["check_in", "ru"].name == "Моя"
    assert by_key["check_in", "ru"].is_customized
    assert by_key["check_in", "ru"].is_builtin
    assert by_key["check_in", "en"].name == BUILTIN["check_in", "en"].name
    assert not by_key["check_in", "en"].is_customized
    custom = choices[-1]
    assert (custom.key, custom.is_builtin, custom.is_customized, custom.requires_action) == (
        "invoice_reminder",
        False,
        True,
        True,
    )


def test_available_templates_filter_by_language(studio):
    choices = available_templates(studio, language="ru")

    assert {c.language for c in choices} == {"ru"}
    assert [c.key for c in choices] == list(BUILTIN_KEYS)
