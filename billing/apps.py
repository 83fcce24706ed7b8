from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        import billing.maintenance
        import billing.reminders  # noqa: F401 - each registers its sweep
