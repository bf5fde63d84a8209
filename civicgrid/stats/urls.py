from django.urls import path

from civicgrid.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("kpis/", views.kpi_view, name="kpis"),
]
