"""The freelancer's side of the portal (namespace ``portal_access``): send and revoke links, mark activity seen."""

app_name = "portal_access"
urlpatterns: list = []
