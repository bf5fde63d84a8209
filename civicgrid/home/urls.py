from django.urls import path

from civicgrid.home import views

# The namespace stays "core" (these pages lived in core): every template and test says
# {% url "core:home" %}, and other branches keep doing so.
app_name = "core"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("healthz", views.health_view, name="health"),
]
