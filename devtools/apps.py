from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Bench, load test and their seeding: installed by development and test settings, never in the image."""

    name = "devtools"
    verbose_name = "Rapport developer tools"
