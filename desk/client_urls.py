"""The client pages under /clients/ (namespace ``clients``): the clients app's own, the dossier and payments."""

from django.urls import path

from clients import urls as clients_urls
from desk import dossier_views, payment_views

app_name = "clients"
urlpatterns = [
    *clients_urls.urlpatterns,
    path("<int:pk>/", dossier_views.detail, name="detail"),
    path("<int:pk>/payments/new/", payment_views.payment_add, name="payment_add"),
]
