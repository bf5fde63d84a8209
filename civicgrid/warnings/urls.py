from django.urls import path

from civicgrid.warnings import views

app_name = "warnings"
urlpatterns = [
    path("", views.status_home_view, name="index"),
    path("status/<str:code>/", views.status_view, name="status"),
    path("status/<str:code>/map.geojson", views.status_map_view, name="status_map"),
    path("checks/", views.checks_home_view, name="checks"),
    path("checks/<str:code>/", views.check_overview_view, name="overview"),
    path("checks/<str:code>/report/", views.check_report_view, name="report"),
    path("checks/<str:code>/remind/", views.check_remind_view, name="remind"),
    path("checks/<str:code>/conflicts/<int:conflict_id>/", views.check_conflict_view,
         name="conflict"),
]
