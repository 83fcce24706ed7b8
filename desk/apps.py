from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The freelancer's desk: pages and emails that read from every domain app (Today, digest, reports, search)."""

    name = "desk"
    verbose_name = "Rapport desk"

    def ready(self) -> None:
        # Importing a sweep module registers its sweeps; the digest's goes last, after every app's.
        import desk.stay_in_touch

        # isort: split
        import desk.digest  # noqa: F401
