from django.urls import path

from files import message_views, project_views, views

app_name = "files"

urlpatterns = [
    path("<int:pk>/download/", views.download, name="download"),
    path("s/<str:token>/", views.signed, name="signed"),
    path("project/<int:pk>/", project_views.project, name="project"),
    path("project/<int:pk>/upload/", project_views.upload, name="upload"),
    path("<int:pk>/version/", project_views.version, name="version"),
    path("<int:pk>/delete/", project_views.delete, name="delete"),
    path("<int:pk>/seen/", message_views.seen, name="seen"),
    path("seen/", message_views.seen_all, name="seen_all"),
    path("from-message/<int:pk>/", message_views.from_message, name="from_message"),
]
