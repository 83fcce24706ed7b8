"""Public survey URLs (no login), included at `/survey/` under the `survey` namespace."""

from django.urls import path

from guest import survey_views

app_name = "survey"
urlpatterns = [
    path("<slug:token>/", survey_views.answer, name="answer"),
    path("<slug:token>/rate/<int:score>/", survey_views.rate, name="rate"),
    path("<slug:token>/thanks/", survey_views.thanks, name="thanks"),
]
