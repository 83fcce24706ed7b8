"""Portal access: the token interstitial, the "link no longer works" page, new links, leaving."""

from django.urls import URLPattern, path

from guest import portal_access_views as views

urlpatterns: list[URLPattern] = [
    path("enter/<str:token>/", views.enter, name="enter"),
    path("link-expired/", views.expired, name="expired"),
    path("request-link/", views.request_link, name="request_link"),
    path("link-sent/", views.link_sent, name="link_sent"),
    path("leave/", views.leave, name="leave"),
    path("left/", views.left, name="left"),
]
