from django.urls import path

from civicgrid.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify_view, name="login_verify"),
    path("login/enroll/", views.login_enroll_view, name="login_enroll"),
    path("logout/", views.logout_view, name="logout"),
    path("security/", views.security_view, name="security"),
    path("users/", views.user_list_view, name="user_list"),
    path("users/<int:pk>/", views.user_detail_view, name="user_detail"),
]
