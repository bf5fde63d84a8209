from django.urls import include, path

from civicgrid.risk import views

app_name = "risk"
urlpatterns = [
    path("", views.matter_list_view, name="list"),
    path("new/", views.matter_new_view, name="matter_new"),
    path("rules/", views.rules_view, name="rules"),
    path("<int:pk>/", views.matter_view, name="matter"),
    path("<int:pk>/edit/", views.matter_edit_view, name="matter_edit"),
    path("<int:pk>/exemption/", views.exemption_request_view, name="exemption_request"),
    path("<int:pk>/exemption/decide/", views.exemption_decide_view, name="exemption_decide"),
    path("<int:pk>/withdraw/", views.withdraw_view, name="withdraw"),
    path("<int:pk>/implement/", views.implement_view, name="implement"),
    path("<int:pk>/decide/", views.decide_view, name="decide"),
    path("<int:pk>/assessments/new/", views.assessment_new_view, name="assessment_new"),
    path("assessments/<int:pk>/edit/", views.assessment_edit_view, name="assessment_edit"),
    path("assessments/<int:pk>/activities/", views.activity_add_view, name="activity_add"),
    path("assessments/<int:pk>/items/", views.item_add_view, name="item_add"),
    path("assessments/<int:pk>/rate/", views.rate_view, name="rate"),
    path("assessments/<int:pk>/report/", views.report_view, name="report"),
    path("activities/<int:pk>/remove/", views.activity_remove_view, name="activity_remove"),
    path("items/<int:pk>/", views.item_edit_view, name="item_edit"),
    path("items/<int:pk>/remove/", views.item_remove_view, name="item_remove"),
    path("hearings/", include("civicgrid.risk.hearing_urls")),
]
