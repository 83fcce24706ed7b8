"""The freelancer's side of the portal (namespace ``portal_access``): send and revoke links, mark activity seen."""

from django.urls import URLPattern, path

from projects import portal_manage_views as views

app_name = "portal_access"
urlpatterns: list[URLPattern] = [
    path("contacts/<int:contact_pk>/send/", views.send, name="send"),
    path("links/<int:link_pk>/revoke/", views.revoke, name="revoke"),
    path("activity/<int:pk>/seen/", views.activity_seen, name="activity_seen"),
    path("activity/seen/", views.activity_seen_all, name="activity_seen_all"),
]
