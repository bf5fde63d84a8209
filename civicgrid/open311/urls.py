from django.urls import path, register_converter

from civicgrid.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "fmt")

app_name = "open311"
urlpatterns = [
    path("discovery.<fmt:format>", views.discovery_view, name="discovery"),
    path("services.<fmt:format>", views.services_view, name="services"),
    path("services/<str:service_code>.<fmt:format>", views.service_definition_view,
         name="service_definition"),
    path("requests.<fmt:format>", views.requests_view, name="requests"),
    path("requests/<str:service_request_id>.<fmt:format>", views.request_view,
         name="request"),
    path("tokens/<str:token>.<fmt:format>", views.token_view, name="token"),
    path("servicerequestupdates.<fmt:format>", views.updates_view, name="updates"),
]
