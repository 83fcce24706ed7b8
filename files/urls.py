from django.urls import path

from files import views

app_name = "files"

urlpatterns = [
    path("<int:pk>/download/", views.download, name="download"),
    path("s/<str:token>/", views.signed, name="signed"),
]
