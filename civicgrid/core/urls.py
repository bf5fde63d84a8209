from django.urls import path

from civicgrid.core import views

app_name = "core"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("healthz", views.health_view, name="health"),
]
