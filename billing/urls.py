from django.urls import path

from billing import stripe_views, views

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
    path("details/stripe/", stripe_views.stripe_settings, name="stripe"),
    path("details/stripe/events/<int:pk>/replay/", stripe_views.stripe_event_replay, name="stripe_replay"),
]
