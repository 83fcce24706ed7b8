from django.urls import path

from files import message_views, project_placeholder, views

app_name = "files"

urlpatterns = [
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/seen/", message_views.seen, name="seen"),
    path("seen/", message_views.seen_all, name="seen_all"),
    path("from-message/<int:pk>/", message_views.from_message, name="from_message"),
    # Until the portal work's files page is merged (see files.project_placeholder).
    path("project/<int:pk>/", project_placeholder.project, name="project"),
]
