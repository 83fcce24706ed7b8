from django.apps import AppConfig


class GuestConfig(AppConfig):
    """The pages a studio's clients and the public see: portal, call booking, survey and inquiry form."""

    name = "guest"
    verbose_name = "Rapport guest pages"
