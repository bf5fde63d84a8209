from django.urls import path

from civicgrid.registry import people_views, views

app_name = "registry"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("grids/<str:code>/", views.grid_view, name="grid"),
    path("grids/<str:code>/buildings/new/", views.building_new_view, name="building_new"),
    path("buildings/<str:code>/", views.building_view, name="building"),
    path("buildings/<str:code>/verify/", views.building_verify_view, name="building_verify"),
    path("rooms/<int:pk>/", views.room_view, name="room"),
    path("rooms/<int:pk>/use/", views.room_use_view, name="room_use"),
    path("people/", people_views.people_view, name="people"),
    path("people/pick/", people_views.person_pick_view, name="person_pick"),
    path("people/<int:pk>/", people_views.person_view, name="person"),
    path("people/<int:pk>/reveal/", people_views.person_reveal_view, name="person_reveal"),
    path("people/<int:pk>/leave/", people_views.person_leave_view, name="person_leave"),
    path("people/<int:pk>/verify/", people_views.person_verify_view, name="person_verify"),
    path("people/<int:pk>/access-log/", people_views.person_access_log_view,
         name="person_access_log"),
    path("grids/<str:code>/people/new/", people_views.person_new_view, name="person_new"),
    path("residences/<int:pk>/end/", people_views.residence_end_view, name="residence_end"),
    path("changes/<int:pk>/undo/", people_views.change_undo_view, name="change_undo"),
    path("organisations/", people_views.organisations_view, name="organisations"),
    path("organisations/<int:pk>/", people_views.organisation_view, name="organisation"),
    path("grids/<str:code>/organisations/new/", people_views.organisation_new_view,
         name="organisation_new"),
    path("figures/<str:code>/", people_views.figures_view, name="figures"),
    path("organisations/pick/", people_views.organisation_pick_view, name="organisation_pick"),
    path("rooms/<int:pk>/owner/", people_views.room_owner_view, name="room_owner"),
    path("rooms/<int:pk>/rental/", people_views.room_rental_view, name="room_rental"),
    path("rooms/<int:pk>/rental/end/", people_views.room_rental_end_view,
         name="room_rental_end"),
    path("people/<int:pk>/household/", people_views.household_new_view, name="household_new"),
    path("people/<int:pk>/household/members/", people_views.household_member_view,
         name="household_member"),
    path("people/<int:pk>/permits/", people_views.permit_new_view, name="permit_new"),
]
