"""The client's call pages, under /portal/calls/ in the ``portal`` namespace."""

from django.urls import path

from guest import call_views

urlpatterns = [
    path("", call_views.portal_list, name="calls"),
    path("book/", call_views.portal_book, name="call_book"),
    path("<int:pk>/cancel/", call_views.portal_cancel, name="call_cancel"),
    path("<int:pk>/move/", call_views.portal_move, name="call_move"),
]
