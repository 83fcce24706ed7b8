from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Rapport studio core"

    def ready(self) -> None:
        from crm import logmask

        logmask.install()
