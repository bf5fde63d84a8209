from django.urls import path, register_converter

from civicgrid.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class MediaExtensionConverter(FormatConverter):
    regex = "jpg|png|webp|gif"


class SignatureConverter(FormatConverter):
    regex = "[0-9a-f]{32}"


register_converter(FormatConverter, "fmt")
register_converter(MediaExtensionConverter, "mediaext")
register_converter(SignatureConverter, "signature")

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
    # media_url of a photo posted with a request (selectors.media_path)
    path("media/<int:attachment_id>-<signature:signature>.<mediaext:ext>", views.media_view,
         name="media"),
]
