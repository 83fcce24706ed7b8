from django.urls import path

from comms import views

app_name = "comms"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/mailbox/<int:pk>/", views.mailbox_email, name="mailbox_email"),
    path("outbox/mailbox/<int:pk>/html/", views.mailbox_email_html, name="mailbox_email_html"),
]
