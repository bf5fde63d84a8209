from django.urls import path

from civicgrid.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.round_list_view, name="list"),
    path("new/", views.round_new_view, name="round_new"),
    path("schedule/", views.round_schedule_view, name="round_schedule"),
    path("<int:pk>/", views.round_view, name="round"),
    path("<int:pk>/design/", views.design_edit_view, name="design"),
    path("<int:pk>/questions/new/", views.question_new_view, name="question_new"),
    path("<int:pk>/frame/freeze/", views.frame_freeze_view, name="frame_freeze"),
    path("<int:pk>/frame/import/", views.frame_import_view, name="frame_import"),
    path("<int:pk>/draw/", views.draw_view, name="draw"),
    path("<int:pk>/quotas/", views.quota_view, name="quota"),
    path("<int:pk>/assign/", views.assign_view, name="assign"),
    path("<int:pk>/web-links/", views.web_links_view, name="web_links"),
    path("<int:pk>/open/", views.open_view, name="open"),
    path("<int:pk>/close/", views.close_view, name="close"),
    path("<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("questions/<int:pk>/", views.question_edit_view, name="question_edit"),
    path("questions/<int:pk>/delete/", views.question_delete_view, name="question_delete"),
    path("questions/<int:pk>/move/", views.question_move_view, name="question_move"),
]
