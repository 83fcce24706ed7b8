"""The guest portal, under /portal/ (namespace ``portal``): access, pages, messages and calls."""

from django.urls import include, path

from guest import call_urls, portal_access_urls, portal_page_urls

app_name = "portal"

urlpatterns = [
    path("", include(portal_access_urls.urlpatterns)),
    path("", include(portal_page_urls.urlpatterns)),
    path("calls/", include(call_urls.urlpatterns)),
]
