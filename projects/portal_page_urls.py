"""The portal's pages for a signed-in visitor: projects, agreement, payments, contact, messages."""

urlpatterns: list = []
