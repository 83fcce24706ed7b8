"""The Mail sources page, mounted at /settings/mail/ (namespace ``mailsources``)."""

from django.urls import path

from comms import source_views

app_name = "mailsources"
urlpatterns = [
    path("", source_views.index, name="index"),
    path("imap/remove/", source_views.imap_delete, name="imap_delete"),
]
