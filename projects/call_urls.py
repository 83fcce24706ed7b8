"""Calls (R8): the client's booking pages in the portal and the studio's own call pages."""

from django.urls import path

from projects import call_views

# Under /portal/calls/, in the ``portal`` namespace.
portal_urlpatterns = [
    path("", call_views.portal_list, name="calls"),
    path("book/", call_views.portal_book, name="call_book"),
    path("<int:pk>/cancel/", call_views.portal_cancel, name="call_cancel"),
    path("<int:pk>/move/", call_views.portal_move, name="call_move"),
]

app_name = "calls"
urlpatterns = [
    path("", call_views.index, name="index"),
    path("<int:pk>/cancel/", call_views.cancel, name="cancel"),
    path("<int:pk>/move/", call_views.move, name="move"),
    path("propose/<int:message_pk>/", call_views.propose, name="propose"),
]
