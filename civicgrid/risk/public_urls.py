"""The public consultation pages (/consult/…): no sign-in."""

app_name = "consult"
urlpatterns: list = []
