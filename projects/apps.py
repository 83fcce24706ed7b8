from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self) -> None:
        import projects.busy_calendars
        import projects.calendar_writes
        import projects.reminders  # noqa: F401 - registers its sweeps
        from clients.signals import contacts_changed, payment_recorded
        from comms.signals import message_recorded
        from kernel.signals import studio_calendar_changed
        from projects import client_drafts, covered_week, services

        client_drafts.register()
        payment_recorded.connect(services.start_work_on_deposit, dispatch_uid="projects.start_work_on_deposit")
        message_recorded.connect(covered_week.on_message_recorded, dispatch_uid="projects.covered_week.message")
        contacts_changed.connect(covered_week.on_contacts_changed, dispatch_uid="projects.covered_week.contacts")
        studio_calendar_changed.connect(
            covered_week.on_studio_calendar_changed, dispatch_uid="projects.covered_week.calendar"
        )
