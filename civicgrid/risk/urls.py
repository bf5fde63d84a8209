from django.urls import include, path

app_name = "risk"
urlpatterns = [
    path("hearings/", include("civicgrid.risk.hearing_urls")),
]
