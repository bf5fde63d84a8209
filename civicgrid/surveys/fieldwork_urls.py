"""The interviewer's pages (/surveys/calls/…): the call sheet, a unit, its interview."""

from django.urls import path

from civicgrid.surveys import fieldwork_views as views

app_name = "survey_calls"
urlpatterns = [
    path("", views.call_sheet_view, name="sheet"),
    path("<int:pk>/", views.unit_view, name="unit"),
    path("<int:pk>/reveal/", views.reveal_view, name="reveal"),
    path("<int:pk>/interview/", views.interview_view, name="interview"),
    path("<int:pk>/quota/", views.quota_view, name="quota"),
]
