from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "comms"

    def ready(self) -> None:
        from anymail.signals import inbound, tracking

        from comms import (  # noqa: F401 - register their sweeps
            housekeeping,
            reminders,
            tasks,
        )
        from comms.tracking import on_tracking
        from comms.webhooks import on_inbound

        inbound.connect(on_inbound, dispatch_uid="comms.webhooks.on_inbound")
        tracking.connect(on_tracking, dispatch_uid="comms.tracking.on_tracking")
