from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self) -> None:
        import projects.reminders  # noqa: F401 - registers its sweeps
        from clients.signals import payment_recorded
        from projects import client_drafts, services

        client_drafts.register()
        payment_recorded.connect(services.start_work_on_deposit, dispatch_uid="projects.start_work_on_deposit")
