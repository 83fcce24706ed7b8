from django.urls import path

from comms import compose_views, inbox_views, outbox_views, views

app_name = "comms"
urlpatterns = [
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("messages/<int:pk>/", inbox_views.message_detail, name="message"),
    path("messages/<int:pk>/no-reply-needed/", inbox_views.no_reply_needed, name="no_reply_needed"),
    path("messages/<int:pk>/assign/", inbox_views.assign, name="assign"),
    path("threads/<int:pk>/", inbox_views.thread_detail, name="thread"),
    path("compose/", compose_views.compose_page, name="compose"),
    path("compose/coach/", compose_views.coach_panel, name="coach"),
    path("compose/undo/<int:pk>/", compose_views.undo, name="undo"),
    path("log/", compose_views.log_message, name="log"),
    path("outbox/", outbox_views.outbox_page, name="outbox"),
    path("outbox/<int:pk>/", outbox_views.outbox_email, name="outbox_email"),
    path("outbox/<int:pk>/html/", outbox_views.outbox_email_html, name="outbox_email_html"),
    path("outbox/<int:pk>/attachments/<int:index>/", outbox_views.outbox_attachment, name="outbox_attachment"),
    path("outbox/<int:pk>/cancel/", outbox_views.outbox_action, {"action": "cancel"}, name="outbox_cancel"),
    path("outbox/<int:pk>/retry/", outbox_views.outbox_action, {"action": "retry"}, name="outbox_retry"),
    path("outbox/<int:pk>/send-now/", outbox_views.outbox_action, {"action": "send_now"}, name="outbox_send_now"),
    path("outbox/<int:pk>/confirm/", outbox_views.outbox_action, {"action": "confirm"}, name="outbox_confirm"),
    path("outbox/<int:pk>/mark-sent/", outbox_views.outbox_action, {"action": "mark_sent"}, name="outbox_mark_sent"),
    path("outbox/mailbox/<int:pk>/", views.mailbox_email, name="mailbox_email"),
    path("outbox/mailbox/<int:pk>/html/", views.mailbox_email_html, name="mailbox_email_html"),
]
