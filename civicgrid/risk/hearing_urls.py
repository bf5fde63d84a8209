"""The staff pages of hearings (/risk/hearings/…), in the "risk" namespace."""

from django.urls import path

from civicgrid.risk import hearing_views as views

urlpatterns = [
    path("", views.hearing_list_view, name="hearing_list"),
    path("new/<int:matter>/", views.hearing_new_view, name="hearing_new"),
    path("<int:pk>/", views.hearing_view, name="hearing"),
    path("<int:pk>/edit/", views.hearing_edit_view, name="hearing_edit"),
    path("<int:pk>/passages/", views.hearing_passages_view, name="hearing_passages"),
    path("<int:pk>/quotas/", views.hearing_quotas_view, name="hearing_quotas"),
    path("<int:pk>/notice/", views.hearing_notice_view, name="hearing_notice"),
    path("<int:pk>/register/", views.hearing_register_view, name="hearing_register"),
    path("<int:pk>/withdraw/", views.hearing_withdraw_view, name="hearing_withdraw"),
    path("<int:pk>/reveal/", views.hearing_reveal_view, name="hearing_reveal"),
    path("<int:pk>/close/", views.hearing_close_view, name="hearing_close"),
    path("<int:pk>/draw/", views.hearing_draw_view, name="hearing_draw"),
    path("<int:pk>/comment/", views.hearing_comment_view, name="hearing_comment"),
    path("<int:pk>/dispose/", views.hearing_dispose_view, name="hearing_dispose"),
    path("<int:pk>/held/", views.hearing_held_view, name="hearing_held"),
    path("<int:pk>/sign/", views.hearing_sign_view, name="hearing_sign"),
    path("<int:pk>/publish/", views.hearing_publish_view, name="hearing_publish"),
]
