from django.urls import path

from billing import proposal_views, send_views, stripe_views, views

app_name = "billing"

urlpatterns = [
    path("", views.invoice_list, name="index"),
    path("new/", views.invoice_new, name="new"),
    path("from/", views.invoice_sources, name="sources"),
    path("from/<slug:kind>/<int:pk>/", views.invoice_from_source, name="from_source"),
    path("details/", views.billing_settings, name="settings"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/edit/", views.invoice_edit, name="edit"),
    path("<int:pk>/issue/", views.invoice_issue, name="issue"),
    path("<int:pk>/cancel/", views.invoice_cancel, name="cancel"),
    path("<int:pk>/delete/", views.invoice_delete, name="delete"),
    path("<int:pk>/pay/", views.invoice_pay, name="pay"),
    path("<int:pk>/send/", send_views.invoice_send_view, name="send"),
    path("<int:pk>/issue-and-send/", send_views.invoice_issue_and_send, name="issue_send"),
    path("details/stripe/", stripe_views.stripe_settings, name="stripe"),
    path("details/stripe/events/<int:pk>/replay/", stripe_views.stripe_event_replay, name="stripe_replay"),
]

urlpatterns += [
    path("proposals/project/<int:project_pk>/", proposal_views.proposal_list, name="proposals"),
    path("proposals/project/<int:project_pk>/new/", proposal_views.proposal_new, name="proposal_new"),
    path("proposals/<int:pk>/", proposal_views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/send/", proposal_views.proposal_send, name="proposal_send"),
    path("proposals/<int:pk>/withdraw/", proposal_views.proposal_withdraw, name="proposal_withdraw"),
    path("agreements/<int:pk>/countersign/", proposal_views.agreement_countersign, name="agreement_countersign"),
    path("agreements/<int:pk>/revise/", proposal_views.agreement_revise, name="agreement_revise"),
    path("agreements/<int:pk>/pdf/", proposal_views.agreement_download, name="agreement_pdf"),
]
