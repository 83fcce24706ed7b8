from django.apps import AppConfig


class KernelConfig(AppConfig):
    """The studio core. Its label stays ``crm`` so the user model (``crm.User``) and migrations keep their names."""

    name = "kernel"
    label = "crm"
    verbose_name = "Rapport studio core"

    def ready(self) -> None:
        from kernel import logmask

        logmask.install()
