"""The clients app's own pages; ``desk.client_urls`` mounts them with the dossier and the payment page."""

from django.urls import path

from clients import csv_views, revenue_views, views

app_name = "clients"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("touchpoints/", views.touchpoints, name="touchpoints"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/archive/", views.archive, name="archive"),
    path("<int:pk>/restore/", views.restore, name="restore"),
    path("<int:pk>/pin/", views.pin, name="pin"),
    path("<int:pk>/contacts/new/", views.contact_add, name="contact_add"),
    path("<int:pk>/contacts/<int:contact_pk>/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/touchpoints/new/", views.touchpoint_add, name="touchpoint_add"),
    *csv_views.urlpatterns,
    *revenue_views.urlpatterns,
]
