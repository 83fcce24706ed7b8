"""The private calendar feed, under /calendar/ (namespace ``calendar``): no sign-in, the token is the key.

The path's token is masked in every log line (``kernel.logmask``).
"""

from django.urls import path

from projects import call_views

app_name = "calendar"
urlpatterns = [
    path("<str:token>.ics", call_views.calendar_feed, name="feed"),
]
