"""The portal's pages for a signed-in visitor: projects, agreement, payments, contact, messages."""

from django.urls import path

from guest import (
    calendar_views,
    file_views,
    portal_billing_views,
    portal_file_views,
    portal_proposal_views,
    portal_views,
)

urlpatterns: list = [
    path("", portal_views.home, name="home"),
    path("projects/<int:pk>/", portal_views.project, name="project"),
    path("projects/<int:pk>/steps/<int:item_pk>/toggle/", portal_views.step_toggle, name="step_toggle"),
    path("projects/<int:pk>/agreement/", portal_views.agreement, name="agreement"),
    path("projects/<int:pk>/agreement/accept/", portal_views.accept, name="accept"),
    path("projects/<int:pk>/changes/<int:change_pk>/", portal_views.change_decide, name="change_decide"),
    path("projects/<int:pk>/payments/", portal_views.payments, name="payments"),
    path("projects/<int:pk>/files/", portal_file_views.upload, name="file_upload"),
    path("files/<int:pk>/approve/", portal_file_views.approve, name="file_approve"),
    path("files/<int:pk>/changes/", portal_file_views.ask_changes, name="file_changes"),
    path("files/<int:pk>/download/", file_views.file_download, name="file_download"),
    path("contact/", portal_views.contact, name="contact"),
    path("messages/", portal_views.conversation, name="messages"),
    path("calendar.ics", calendar_views.portal_calendar, name="calendar"),
]

urlpatterns += [
    path("invoices/", portal_billing_views.invoices, name="invoices"),
    path("invoices/<int:pk>/", portal_billing_views.invoice, name="invoice"),
    path("invoices/<int:pk>/pdf/", portal_billing_views.invoice_download, name="invoice_pdf"),
    path("invoices/<int:pk>/pay/", portal_billing_views.invoice_pay, name="invoice_pay"),
    path("proposals/<int:pk>/", portal_proposal_views.proposal, name="proposal"),
    path("proposals/<int:pk>/accept/", portal_proposal_views.proposal_accept, name="proposal_accept"),
    path("projects/<int:pk>/agreements/", portal_proposal_views.agreements, name="agreements"),
    path("agreements/<int:pk>/sign/", portal_proposal_views.agreement_sign, name="agreement_sign"),
    path("agreements/<int:pk>/pdf/", portal_proposal_views.agreement_download, name="agreement_pdf"),
]
