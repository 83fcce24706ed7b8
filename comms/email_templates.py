"""Email templates: the built-ins in English and Russian, a safe placeholder syntax, and rendering.

Placeholders
    User-written templates never reach the Django template engine. The only syntax is ``{{ name }}``
    (spaces optional) where ``name`` is one of ``ALLOWED_VARIABLES``: no attribute access, no filters,
    no tags, no comments. ``validate_template`` refuses anything else, naming each offending piece.

Values
    Variables are plain strings (anything else goes through ``str``). Substitution is a single pass,
    so a value that itself contains ``{{ … }}`` is printed as typed, never expanded. In the subject,
    line breaks in values become spaces (no header injection).

Missing values
    A placeholder whose value is missing or blank renders as a visible marker ``[name]`` rather than
    vanishing, so a half-filled email is obvious in the preview; ``missing_variables`` lists them so
    the compose page can warn before sending.

HTML
    The HTML part is built from the rendered text: everything is escaped, blank lines make
    paragraphs, single line breaks make ``<br>``, http(s) links become links, and the Next steps block
    (its heading line and every line after it in that paragraph) is bold (R3).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comms.coach import has_next_steps, is_next_steps_heading
from comms.models import EmailTemplate
from kernel.models import Studio

ALLOWED_VARIABLES: dict[str, str | Promise] = {
    "client_name": gettext_lazy("The client's company or name"),
    "contact_first_name": gettext_lazy("First name of the person you write to"),
    "project_name": gettext_lazy("The project's title"),
    "sender_name": gettext_lazy("Your name as you sign emails"),
    "studio_name": gettext_lazy("Your studio's name"),
    "today": gettext_lazy("Today's date"),
    "promised_date": gettext_lazy("When the full answer will come (acknowledgment)"),
    "deadline": gettext_lazy("The project's deadline"),
    "old_deadline": gettext_lazy("The deadline before the change"),
    "new_deadline": gettext_lazy("The new deadline"),
    "reason": gettext_lazy("Why the deadline moves"),
    "amount": gettext_lazy("An amount with its currency, e.g. the deposit"),
    "payment_options": gettext_lazy("The ways the client can pay, one per line"),
    "portal_link": gettext_lazy("The client's link to the project portal"),
    "booking_link": gettext_lazy("The link where the client books a call"),
    "survey_link": gettext_lazy("The link to the satisfaction survey"),
    "next_steps": gettext_lazy("The client's action items, one per line"),
    "done_this_week": gettext_lazy("What was done this week, one item per line"),
    "next_up": gettext_lazy("What comes next, one item per line"),
}
"""The only names a template may use, with what each holds (shown on the template page)."""

_PLACEHOLDER_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_TEMPLATE_TOKEN = re.compile(
    r"\{\{(?P<placeholder>[^{}\n]*?)\}\}"
    r"|(?P<tag>\{%[^\n]*?%\})"
    r"|(?P<comment>\{#[^\n]*?#\})"
    r"|(?P<stray>\{\{|\}\}|\{%|%\}|\{#|#\})"
)
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}»”’"
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")

EMAIL_BODY_STYLE = (
    "font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 15px; "
    "line-height: 1.5; color: #212529;"
)
NEXT_STEPS_STYLE = "padding: 0.75em 1em; background: #f1f3f5;"


class TemplateProblem(ValueError):
    """A template uses syntax or placeholders Rapport does not allow; each problem names the culprit."""

    def __init__(self, subject_problems: tuple[str, ...] = (), body_problems: tuple[str, ...] = ()) -> None:
        self.subject_problems = tuple(subject_problems)
        self.body_problems = tuple(body_problems)
        super().__init__(" ".join(self.problems))

    @property
    def problems(self) -> tuple[str, ...]:
        return self.subject_problems + self.body_problems


class UnknownTemplate(LookupError):
    pass


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    language: str
    name: str
    subject: str
    body: str
    requires_action: bool


@dataclass(frozen=True)
class TemplateChoice:
    """One template a studio can use: its own version if it has one, else the built-in."""

    key: str
    language: str
    name: str
    subject: str
    body: str
    requires_action: bool
    is_builtin: bool  # a built-in exists for this key and language
    is_customized: bool  # the studio has its own row


# --- Validation --------------------------------------------------------------------------------


def template_problems(text: str) -> list[str]:
    """Every problem in one template text (subject or body), each once, in order of appearance."""
    problems: list[str] = []
    for match in _TEMPLATE_TOKEN.finditer(text):
        problem = _token_problem(match)
        if problem and problem not in problems:
            problems.append(problem)
    return problems


def _token_problem(match: re.Match[str]) -> str | None:
    allowed = ", ".join(ALLOWED_VARIABLES)
    if (inner := match.group("placeholder")) is not None:
        name = inner.strip()
        if name in ALLOWED_VARIABLES:
            return None
        if not name:
            return _("Empty placeholder {{ }}: write a name inside, one of: %(allowed)s.") % {"allowed": allowed}
        problem = _("Unknown placeholder {{ %(name)s }}: use one of: %(allowed)s.") % {"name": name, "allowed": allowed}
        if not _PLACEHOLDER_NAME.fullmatch(name):
            problem += " " + _("Placeholders are plain names: no dots, filters, brackets or spaces.")
        return problem
    if (tag := match.group("tag")) is not None:
        return _("Template tags such as %(tag)s are not supported: only {{ name }} placeholders.") % {"tag": tag}
    if (comment := match.group("comment")) is not None:
        return _("Template comments such as %(comment)s are not supported: only {{ name }} placeholders.") % {
            "comment": comment
        }
    stray = match.group("stray")
    if stray in ("{{", "{%", "{#"):
        return _("“%(brace)s” is not closed: write placeholders as {{ name }} on one line.") % {"brace": stray}
    return _("“%(brace)s” has no opening: write placeholders as {{ name }} on one line.") % {"brace": stray}


def validate_template(subject: str, body: str) -> None:
    """Raise ``TemplateProblem`` unless both texts use only ``{{ name }}`` placeholders from the whitelist."""
    subject_problems, body_problems = template_problems(subject), template_problems(body)
    if subject_problems or body_problems:
        raise TemplateProblem(tuple(subject_problems), tuple(body_problems))


def placeholders_in(*texts: str) -> list[str]:
    """The allowed placeholder names the texts use, each once, in order of appearance."""
    names: list[str] = []
    for text in texts:
        for match in _TEMPLATE_TOKEN.finditer(text):
            name = (match.group("placeholder") or "").strip()
            if name in ALLOWED_VARIABLES and name not in names:
                names.append(name)
    return names


def missing_variables(subject: str, body: str, variables: Mapping[str, Any]) -> list[str]:
    """The placeholders used whose value is missing or blank: they would render as ``[name]``."""
    return [name for name in placeholders_in(subject, body) if not _value(variables, name)]


# --- Rendering ---------------------------------------------------------------------------------


def _value(variables: Mapping[str, Any], name: str) -> str:
    value = variables.get(name)
    return "" if value is None or not str(value).strip() else str(value)


def _substitute(text: str, variables: Mapping[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group("placeholder").strip()
        return _value(variables, name) or f"[{name}]"

    return _TEMPLATE_TOKEN.sub(replace, text)


def render(subject: str, body: str, variables: Mapping[str, Any]) -> RenderedEmail:
    """The email as the client will read it; raises ``TemplateProblem`` for an invalid template."""
    validate_template(subject, body)
    rendered_subject = " ".join(_substitute(subject, variables).split())
    text = _substitute(body.replace("\r\n", "\n"), variables).strip() + "\n"
    return RenderedEmail(subject=rendered_subject, text=text, html=email_html(text))


def email_html(text: str) -> str:
    """A complete HTML email for a plain text (styles inline, as mail clients need)."""
    return (
        "<!doctype html>\n<html>\n"
        f'<body style="{EMAIL_BODY_STYLE}">\n{text_to_html(text, next_steps_style=NEXT_STEPS_STYLE)}\n'
        "</body>\n</html>\n"
    )


def text_to_html(text: str, *, next_steps_style: str | None = None, next_steps_class: str | None = None) -> str:
    """HTML paragraphs for a plain text: everything escaped, links clickable, the Next steps block bold.

    Safe to mark safe: no character of ``text`` reaches the output unescaped.
    """
    paragraphs = []
    for paragraph in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").strip()):
        lines = paragraph.strip("\n").splitlines()
        if not lines:
            continue
        heading = next((i for i, line in enumerate(lines) if is_next_steps_heading(line)), None)
        if heading is None:
            paragraphs.append("<p>" + "<br>\n".join(_line_html(line) for line in lines) + "</p>")
            continue
        before = "<br>\n".join(_line_html(line) for line in lines[:heading])
        if before:
            paragraphs.append(f"<p>{before}</p>")
        attributes = ""
        if next_steps_class:
            attributes += f' class="{html.escape(next_steps_class)}"'
        if next_steps_style:
            attributes += f' style="{html.escape(next_steps_style)}"'
        bold = "<br>\n".join(f"<strong>{_line_html(line)}</strong>" for line in lines[heading:])
        paragraphs.append(f"<p{attributes}>{bold}</p>")
    return "\n".join(paragraphs)


def _line_html(line: str) -> str:
    pieces = []
    position = 0
    for match in _URL.finditer(line):
        url = match.group().rstrip(_URL_TRAILING)
        pieces.append(html.escape(line[position : match.start()]))
        pieces.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        position = match.start() + len(url)
    pieces.append(html.escape(line[position:]))
    return "".join(pieces)


# --- Built-in templates ------------------------------------------------------------------------

_BUILTINS_EN: tuple[tuple[str, str, str, str], ...] = (
    (
        "acknowledgment",
        "Acknowledgment with the date of the full answer",
        "Got your message: full answer by {{ promised_date }}",
        """Hello {{ contact_first_name }},

Thank you for your message. I want to give you a proper answer rather than a quick one.

You will have my full reply by {{ promised_date }}. If anything is urgent in the meantime, just reply to this email.

Best wishes,
{{ sender_name }}""",
    ),
    (
        "friday_update",
        "Friday status update",
        "{{ project_name }}: this week's update",
        """Hello {{ contact_first_name }},

Here is where {{ project_name }} stands this week.

Done this week:
{{ done_this_week }}

Coming next:
{{ next_up }}

You can follow the progress at any time here: {{ portal_link }}

Next steps:
{{ next_steps }}

Thank you, and have a good weekend,
{{ sender_name }}""",
    ),
    (
        "next_steps",
        "Next steps",
        "{{ project_name }}: next steps",
        """Hello {{ contact_first_name }},

Thank you for the good conversation. To keep {{ project_name }} moving, here is who does what and when. If anything doesn't match what we agreed, just reply and I will correct it.

Next steps:
{{ next_steps }}

Best wishes,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "deadline_change",
        "Deadline change notice",
        "{{ project_name }}: new date {{ new_deadline }}",
        """Hello {{ contact_first_name }},

I want to let you know early: {{ project_name }} will not be ready on {{ old_deadline }} as planned. The new date is {{ new_deadline }}.

The reason: {{ reason }}

I am sorry for the change. The remaining work is planned so that the new date holds, and you can follow every step here: {{ portal_link }}

Next steps:
1. Please reply to confirm the new date works for you, or tell me what it affects on your side.

Thank you for your understanding,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "deposit_request",
        "Deposit request",
        "{{ project_name }}: deposit to get started",
        """Hello {{ contact_first_name }},

Thank you for choosing {{ studio_name }} for {{ project_name }}. I am looking forward to starting.

To reserve the time in my schedule, I ask for a deposit of {{ amount }} before work begins. You can pay in whichever way suits you best:
{{ payment_options }}

Next steps:
1. Pay the deposit of {{ amount }}.
2. Reply to this email once it is done, and I will confirm the start date.

Best wishes,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "maintenance_offer",
        "Maintenance offer after launch",
        "Keeping {{ project_name }} healthy after launch",
        """Hello {{ contact_first_name }},

Thank you again for working with me on {{ project_name }}: it is great to see it live.

A website needs a little care after launch: updates, security fixes, backups and small changes. My maintenance plan covers all of this for {{ amount }} a month, so you never have to think about it.

Next steps:
1. Reply “yes” if you would like the plan, and I will send you the details to sign.

Best wishes,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "call_proposal",
        "Call proposal",
        "A short call about {{ project_name }}",
        """Hello {{ contact_first_name }},

Thank you for your messages. I think a short call will settle this faster than more emails: fifteen minutes is usually enough, at any time that suits you in my calendar.

Next steps:
1. Pick a time for the call: {{ booking_link }}

Best wishes,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "yearly_card",
        "Yearly card",
        "Warm wishes from {{ studio_name }}",
        """Hello {{ contact_first_name }},

As the year comes to an end, I want to thank you for your trust and for the work we have done together.

I wish you and everyone at {{ client_name }} a restful holiday season and a very good year ahead.

Warm regards,
{{ sender_name }}""",
    ),
    (
        "check_in",
        "Check-in",
        "How are things at {{ client_name }}?",
        """Hello {{ contact_first_name }},

It has been a while since we last spoke, and I wanted to ask how things are going at {{ client_name }} and how the website is serving you.

If there is anything I can help with, big or small, just reply to this email. It is always good to hear from you.

Thank you, and best wishes,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "survey_invitation",
        "Survey invitation",
        "Two minutes about {{ project_name }}",
        """Hello {{ contact_first_name }},

Thank you for working with me on {{ project_name }}. Your opinion helps me get better at what I do, and the short survey below takes about two minutes.

Next steps:
1. Answer the survey when you have a moment: {{ survey_link }}

With thanks,
{{ sender_name }}""",  # noqa: E501
    ),
)

_BUILTINS_RU: tuple[tuple[str, str, str, str], ...] = (
    (
        "acknowledgment",
        "Подтверждение с датой полного ответа",
        "Ваше письмо получено; полный ответ — {{ promised_date }}",
        """Здравствуйте, {{ contact_first_name }}!

Спасибо за письмо. Хочу ответить на него обстоятельно, а не наспех.

Полный ответ пришлю не позже срока: {{ promised_date }}. Если что-то срочное, просто ответьте на это письмо.

С уважением,
{{ sender_name }}""",
    ),
    (
        "friday_update",
        "Пятничный отчёт о ходе работ",
        "{{ project_name }}: новости недели",
        """Здравствуйте, {{ contact_first_name }}!

Рассказываю, как идут дела по проекту «{{ project_name }}» на этой неделе.

Сделано за неделю:
{{ done_this_week }}

Дальше в работе:
{{ next_up }}

Следить за ходом проекта можно в любое время здесь: {{ portal_link }}

Следующие шаги:
{{ next_steps }}

Спасибо и хороших выходных!
{{ sender_name }}""",
    ),
    (
        "next_steps",
        "Следующие шаги",
        "{{ project_name }}: следующие шаги",
        """Здравствуйте, {{ contact_first_name }}!

Спасибо за хороший разговор. Чтобы работа над проектом «{{ project_name }}» шла дальше, ниже — кто что делает и к какому сроку. Если что-то расходится с нашей договорённостью, просто ответьте на письмо, и я поправлю.

Следующие шаги:
{{ next_steps }}

С уважением,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "deadline_change",
        "Уведомление о переносе срока",
        "{{ project_name }}: новый срок — {{ new_deadline }}",
        """Здравствуйте, {{ contact_first_name }}!

Хочу предупредить заранее: проект «{{ project_name }}» не будет готов в срок ({{ old_deadline }}), как планировалось. Новый срок — {{ new_deadline }}.

Причина: {{ reason }}

Прошу прощения за перенос. Оставшаяся работа распланирована так, чтобы новый срок был выдержан, а следить за каждым шагом можно здесь: {{ portal_link }}

Следующие шаги:
1. Ответьте, пожалуйста, подходит ли вам новый срок, или напишите, на что он влияет с вашей стороны.

Спасибо за понимание,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "deposit_request",
        "Запрос предоплаты",
        "{{ project_name }}: предоплата для старта",
        """Здравствуйте, {{ contact_first_name }}!

Спасибо, что выбрали {{ studio_name }} для проекта «{{ project_name }}». С удовольствием берусь за работу.

Чтобы закрепить время в моём графике, прошу внести предоплату {{ amount }} до начала работ. Оплатить можно любым удобным способом:
{{ payment_options }}

Следующие шаги:
1. Внесите предоплату {{ amount }}.
2. Ответьте на это письмо после оплаты, и я подтвержу дату старта.

С уважением,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "maintenance_offer",
        "Предложение поддержки после запуска",
        "Поддержка проекта «{{ project_name }}» после запуска",
        """Здравствуйте, {{ contact_first_name }}!

Спасибо за совместную работу над проектом «{{ project_name }}»: здорово видеть его запущенным.

После запуска сайту нужен небольшой уход: обновления, исправления безопасности, резервные копии и мелкие правки. Мой план поддержки покрывает всё это за {{ amount }} в месяц, чтобы вам не приходилось об этом думать.

Следующие шаги:
1. Ответьте «да», если план вам интересен, и я пришлю условия на подпись.

С уважением,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "call_proposal",
        "Предложение созвониться",
        "Короткий созвон по проекту «{{ project_name }}»",
        """Здравствуйте, {{ contact_first_name }}!

Спасибо за ваши письма. Думаю, короткий созвон решит вопрос быстрее, чем переписка: обычно хватает пятнадцати минут, а время можно выбрать любое удобное в моём календаре.

Следующие шаги:
1. Выберите время для созвона: {{ booking_link }}

С уважением,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "yearly_card",
        "Ежегодное поздравление",
        "Тёплые пожелания от {{ studio_name }}",
        """Здравствуйте, {{ contact_first_name }}!

Год подходит к концу, и я хочу поблагодарить вас за доверие и за нашу совместную работу.

Желаю вам и всей команде {{ client_name }} спокойных праздников и успешного нового года.

С теплом,
{{ sender_name }}""",
    ),
    (
        "check_in",
        "Узнать, как дела",
        "Как у вас дела?",
        """Здравствуйте, {{ contact_first_name }}!

Давно не общались, и хочется узнать, как идут дела в {{ client_name }} и как сайт справляется со своей задачей.

Если могу чем-то помочь, в большом или малом, просто ответьте на это письмо. Мне всегда приятно получить от вас весточку.

Спасибо и всего доброго,
{{ sender_name }}""",  # noqa: E501
    ),
    (
        "survey_invitation",
        "Приглашение в опрос",
        "Две минуты о проекте «{{ project_name }}»",
        """Здравствуйте, {{ contact_first_name }}!

Спасибо за совместную работу над проектом «{{ project_name }}». Ваше мнение помогает мне работать лучше, а короткий опрос займёт около двух минут.

Следующие шаги:
1. Ответьте на вопросы, когда будет минутка: {{ survey_link }}

С благодарностью,
{{ sender_name }}""",  # noqa: E501
    ),
)

BUILTIN_KEYS: tuple[str, ...] = tuple(key for key, *_rest in _BUILTINS_EN)
LANGUAGES: tuple[str, ...] = ("en", "ru")

BUILTIN: Mapping[tuple[str, str], BuiltinTemplate] = {
    (key, language): BuiltinTemplate(key, language, name, subject, body, requires_action=has_next_steps(body))
    for language, table in (("en", _BUILTINS_EN), ("ru", _BUILTINS_RU))
    for key, name, subject, body in table
}
"""Every built-in by ``(key, language)``; ``requires_action`` is true for those ending in Next steps."""

SAMPLE_VALUES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "client_name": "Bluebell Bakery",
        "contact_first_name": "Anna",
        "project_name": "Bakery website",
        "sender_name": "Sam Carter",
        "studio_name": "Northlight Studio",
        "today": "3 March 2026",
        "promised_date": "Thursday, 5 March",
        "deadline": "20 March 2026",
        "old_deadline": "20 March 2026",
        "new_deadline": "27 March 2026",
        "reason": "the payment provider needs one more week to approve the shop.",
        "amount": "€1,200",
        "payment_options": "- Bank transfer (IBAN DE00 0000 0000 0000)\n- Card or PayPal through the invoice link",
        "portal_link": "https://rapport.example/p/sample",
        "booking_link": "https://rapport.example/p/sample/call",
        "survey_link": "https://rapport.example/s/sample",
        "next_steps": "1. You send the menu photos by Friday.\n2. I add them to the home page on Monday.",
        "done_this_week": "- Home page layout\n- Contact form",
        "next_up": "- Menu page\n- Opening hours",
    },
    "ru": {
        "client_name": "Пекарня «Колокольчик»",
        "contact_first_name": "Анна",
        "project_name": "Сайт пекарни",
        "sender_name": "Иван Петров",
        "studio_name": "Студия «Северный свет»",
        "today": "3 марта 2026",
        "promised_date": "четверг, 5 марта, 18:00",
        "deadline": "20 марта 2026",
        "old_deadline": "пятница, 20 марта",
        "new_deadline": "пятница, 27 марта",
        "reason": "платёжному сервису нужна ещё неделя, чтобы одобрить магазин.",
        "amount": "30 000 ₽",
        "payment_options": "- Банковский перевод по счёту\n- Карта или СБП по ссылке из счёта",
        "portal_link": "https://rapport.example/p/sample",
        "booking_link": "https://rapport.example/p/sample/call",
        "survey_link": "https://rapport.example/s/sample",
        "next_steps": "1. Вы присылаете фото меню до пятницы.\n2. Я добавляю их на главную в понедельник.",
        "done_this_week": "- Макет главной страницы\n- Форма обратной связи",
        "next_up": "- Страница меню\n- Часы работы",
    },
}
"""Sample values for previews, one per allowed variable."""


def sample_variables(language: str) -> dict[str, str]:
    return dict(SAMPLE_VALUES.get(language, SAMPLE_VALUES["en"]))


# --- Studio templates --------------------------------------------------------------------------


def template_for(studio: Studio | None, key: str, language: str) -> tuple[str, str, str]:
    """``(subject, body, name)``: the studio's own version if it has one, else the built-in.

    Raises ``UnknownTemplate`` when neither exists.
    """
    if studio is not None:
        row = (
            EmailTemplate.objects.filter(studio=studio, key=key, language=language)
            .values_list("subject", "body", "name")
            .first()
        )
        if row is not None:
            return row
    builtin = BUILTIN.get((key, language))
    if builtin is None:
        raise UnknownTemplate(f"No template {key!r} in {language!r}.")
    return builtin.subject, builtin.body, builtin.name


def available_templates(studio: Studio | None, language: str | None = None) -> list[TemplateChoice]:
    """The built-ins merged with the studio's own rows (one query): built-in order first, then the rest by key."""
    rows = {}
    if studio is not None:
        queryset = EmailTemplate.objects.filter(studio=studio)
        if language:
            queryset = queryset.filter(language=language)
        rows = {(row.key, row.language): row for row in queryset}
    choices = []
    for key, lang in _ordered_keys(rows, language):
        builtin, row = BUILTIN.get((key, lang)), rows.get((key, lang))
        source: Any = row or builtin
        choices.append(
            TemplateChoice(
                key=key,
                language=lang,
                name=source.name,
                subject=source.subject,
                body=source.body,
                requires_action=builtin.requires_action if builtin else has_next_steps(source.body),
                is_builtin=builtin is not None,
                is_customized=row is not None,
            )
        )
    return choices


def _ordered_keys(rows: Mapping[tuple[str, str], Any], language: str | None) -> list[tuple[str, str]]:
    languages = [language] if language else list(LANGUAGES)
    builtin_order = [(key, lang) for key in BUILTIN_KEYS for lang in languages if (key, lang) in BUILTIN]
    custom = sorted(
        (pair for pair in rows if pair not in BUILTIN),
        key=lambda pair: (pair[0], LANGUAGES.index(pair[1]) if pair[1] in LANGUAGES else len(LANGUAGES), pair[1]),
    )
    return builtin_order + custom
