"""The freelancer's call pages (R8), under /calls/; the client's are in ``guest.call_urls``."""

from django.urls import path

from projects import call_views

app_name = "calls"
urlpatterns = [
    path("", call_views.index, name="index"),
    path("<int:pk>/cancel/", call_views.cancel, name="cancel"),
    path("<int:pk>/move/", call_views.move, name="move"),
    path("propose/<int:message_pk>/", call_views.propose, name="propose"),
    path("calendars/", call_views.calendars, name="calendars"),
    path("calendars/caldav/", call_views.calendar_add_caldav, name="calendar_add_caldav"),
    path("calendars/<int:pk>/choose/", call_views.calendar_choose, name="calendar_choose"),
    path("calendars/<int:pk>/write/", call_views.calendar_write_calls, name="calendar_write_calls"),
    path("calendars/<int:pk>/remove/", call_views.calendar_remove, name="calendar_remove"),
    path("calendars/<int:pk>/refresh/", call_views.calendar_refresh, name="calendar_refresh"),
]
urlpatterns += [
    path("feed/new/", call_views.feed_new, name="feed_new"),
    path("feed/<int:pk>/revoke/", call_views.feed_revoke, name="feed_revoke"),
]
