from django.urls import path

from billing import send_views, views

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
]
