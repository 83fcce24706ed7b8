from django.urls import path

from files import project_views, views

app_name = "files"

urlpatterns = [
    path("<int:pk>/download/", views.download, name="download"),
    path("s/<str:token>/", views.signed, name="signed"),
    path("project/<int:pk>/", project_views.project, name="project"),
    path("project/<int:pk>/upload/", project_views.upload, name="upload"),
    path("<int:pk>/version/", project_views.version, name="version"),
    path("<int:pk>/delete/", project_views.delete, name="delete"),
]
