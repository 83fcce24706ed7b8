from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The freelancer's desk: pages and emails that read from every domain app (Today, digest, reports, search)."""

    name = "desk"
    verbose_name = "Rapport desk"

    def ready(self) -> None:
        import desk.digest  # noqa: F401 - registers its sweep (after every app's: the digest runs last)
