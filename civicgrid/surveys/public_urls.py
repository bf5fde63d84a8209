"""The resident's web questionnaire (/s/…): no sign-in, reached by the link's token."""

from django.urls import path

from civicgrid.surveys import public_views as views

app_name = "survey_web"
urlpatterns = [
    path("thanks/", views.thanks_view, name="thanks"),
    path("<str:token>/", views.questionnaire_view, name="form"),
]
