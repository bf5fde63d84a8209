from django.urls import path

from civicgrid.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify_view, name="login_verify"),
    path("login/enroll/", views.login_enroll_view, name="login_enroll"),
    path("logout/", views.logout_view, name="logout"),
    path("security/", views.security_view, name="security"),
    path("security/password/", views.password_change_view, name="password_change"),
    path("users/", views.user_list_view, name="user_list"),
    path("users/new/", views.user_new_view, name="user_new"),
    path("users/import/", views.user_import_view, name="user_import"),
    path("users/import/template.xlsx", views.user_import_template_view,
         name="user_import_template"),
    path("users/<int:pk>/", views.user_detail_view, name="user_detail"),
    path("users/<int:pk>/roles/", views.user_roles_view, name="user_roles"),
    path("users/<int:pk>/jurisdictions/", views.user_jurisdictions_view,
         name="user_jurisdictions"),
    path("users/<int:pk>/units/add/", views.user_unit_add_view, name="user_unit_add"),
    path("users/<int:pk>/units/remove/", views.user_unit_remove_view, name="user_unit_remove"),
    path("users/<int:pk>/grids/add/", views.user_grid_add_view, name="user_grid_add"),
    path("users/<int:pk>/grids/remove/", views.user_grid_remove_view, name="user_grid_remove"),
    path("users/<int:pk>/active/", views.user_active_view, name="user_active"),
    path("users/<int:pk>/totp-reset/", views.user_totp_reset_view, name="user_totp_reset"),
    path("users/<int:pk>/password/", views.user_password_view, name="user_password"),
]
