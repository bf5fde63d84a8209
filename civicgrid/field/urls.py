from django.urls import path

from civicgrid.field import views

app_name = "field"

urlpatterns = [
    path("", views.shell_view, name="app"),
    path("sw.js", views.worker_view, name="worker"),
    path("manifest.webmanifest", views.manifest_view, name="manifest"),
]
