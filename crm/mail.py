"""The one way out for email until the comms outbox lands: every email goes through here.

`studio_email_send` renders `templates/emails/<template>-subject.txt`, `-body.txt` and
`-body.html` with a plain dict context (never model instances: user-editable templates
must not reach model internals) and hands the message to EMAIL_BACKEND. The comms issue
turns this function into an outbox enqueue without changing its callers.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string

from comms.mailbox import STUDIO_HEADER
from crm.models import Studio


def render_text(name: str, context: Mapping[str, Any]) -> str:
    """Render a plain-text template without HTML escaping: "O'Brien & Co" stays as typed."""
    return get_template(name).template.render(Context(dict(context), autoescape=False))


def studio_email_send(
    *,
    studio: Studio,
    to: Sequence[str],
    template: str,
    context: Mapping[str, Any],
    cc: Sequence[str] = (),
    reply_to: Sequence[str] = (),
) -> None:
    full_context = {"studio_name": studio.name, "sender_name": studio.sender_name or studio.name, **context}
    subject = " ".join(render_text(f"emails/{template}-subject.txt", full_context).split())
    text = render_text(f"emails/{template}-body.txt", full_context)
    html = render_to_string(f"emails/{template}-body.html", full_context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=studio.from_email,
        to=list(to),
        cc=list(cc),
        reply_to=list(reply_to) or ([studio.sender_email] if studio.sender_email else []),
        headers={STUDIO_HEADER: str(studio.pk)},
    )
    message.attach_alternative(html, "text/html")
    message.send()
