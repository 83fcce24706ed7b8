from csp.decorators import csp_replace
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from comms.models import MailboxEmail
from kernel.access import get_for_member, studio_required

# An email's own HTML, shown alone in a sandboxed iframe: no scripts, no remote loads, only our frame.
sandboxed_email_html = csp_replace(
    {
        "default-src": ["'none'"],
        "script-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "img-src": ["data:"],
        "font-src": ["'none'"],
        "connect-src": ["'none'"],
        "frame-ancestors": ["'self'"],
        "sandbox": True,
    }
)


@studio_required
def mailbox_email(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_for_member(request, MailboxEmail, pk=pk)
    return render(request, "comms/mailbox_email.html", {"email": email})


@studio_required
@xframe_options_sameorigin
@sandboxed_email_html
def mailbox_email_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML body alone, for a sandboxed iframe: no scripts, no remote loads."""
    email = get_for_member(request, MailboxEmail, pk=pk)
    return HttpResponse(email.html_body)
