from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"

    def ready(self) -> None:
        import clients.reminders  # noqa: F401 - registers its sweeps
        from clients.services import on_interaction_recorded
        from kernel.signals import interaction_recorded

        interaction_recorded.connect(on_interaction_recorded, dispatch_uid="clients.last_contact")
