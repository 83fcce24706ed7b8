from django.urls import path

from comms import template_views

app_name = "emailtemplates"
urlpatterns = [
    path("", template_views.template_list, name="list"),
    path("new/", template_views.template_new, name="new"),
    path("<slug:key>/<str:language>/", template_views.template_edit, name="edit"),
    path("<slug:key>/<str:language>/reset/", template_views.template_reset, name="reset"),
]
