"""Calls (R8): the client's booking pages in the portal and the studio's own call pages."""

portal_urlpatterns: list = []

app_name = "calls"
urlpatterns: list = []
