from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"

    def ready(self) -> None:
        from clients.services import on_interaction_recorded
        from clients.touch_clock import on_studio_calendar_changed
        from kernel.signals import interaction_recorded, studio_calendar_changed

        interaction_recorded.connect(on_interaction_recorded, dispatch_uid="clients.last_contact")
        studio_calendar_changed.connect(on_studio_calendar_changed, dispatch_uid="clients.touch_clock.calendar")
