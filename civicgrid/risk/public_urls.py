"""The public consultation pages (/consult/…): no sign-in."""

from django.urls import path

from civicgrid.risk import public_views as views

app_name = "consult"
urlpatterns = [
    path("", views.consult_home_view, name="home"),
    path("<int:pk>/", views.consult_hearing_view, name="hearing"),
    path("<int:pk>/register/", views.consult_register_view, name="register"),
    path("<int:pk>/comment/", views.consult_comment_view, name="comment"),
    path("<int:pk>/list.txt", views.consult_list_view, name="list"),
]
