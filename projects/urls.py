from django.urls import path

from projects import update_views, views

app_name = "projects"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("library/", views.resources, name="resources"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/status/", views.set_status, name="set_status"),
    path("<int:pk>/move-date/", views.move_date, name="move_date"),
    path("<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path("<int:pk>/milestones/<int:milestone_pk>/toggle/", views.milestone_toggle, name="milestone_toggle"),
    path("<int:pk>/next-steps/", views.action_add, name="action_add"),
    path("<int:pk>/next-steps/<int:item_pk>/toggle/", views.action_toggle, name="action_toggle"),
    path("<int:pk>/change-requests/", views.change_request_add, name="change_request_add"),
    path("<int:pk>/resources/", views.resource_attach, name="resource_attach"),
    path("<int:pk>/installments/", views.installment_add, name="installment_add"),
    path("<int:pk>/maintenance/", views.maintenance_add, name="maintenance_add"),
    *update_views.urlpatterns,
]
