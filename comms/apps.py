from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "comms"

    def ready(self) -> None:
        from anymail.signals import inbound, tracking

        from comms import tasks  # noqa: F401  registers the tasks ``comms.outbox.kick_delivery`` asks for by name
        from comms.tracking import on_tracking
        from comms.webhooks import on_inbound

        inbound.connect(on_inbound, dispatch_uid="comms.webhooks.on_inbound")
        tracking.connect(on_tracking, dispatch_uid="comms.tracking.on_tracking")
