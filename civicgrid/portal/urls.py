from django.urls import path

from civicgrid.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("report/", views.report_view, name="report"),
    path("report/attributes/", views.report_attributes_view, name="report_attributes"),
    path("report/done/<str:token>/", views.report_done_view, name="report_done"),
    path("grids.geojson", views.grids_view, name="grids"),
    path("map/labels.json", views.map_labels_view, name="map_labels"),
    path("map/buildings.geojson", views.map_buildings_view, name="map_buildings"),
    path("map/roads.geojson", views.map_roads_view, name="map_roads"),
    path("track/", views.track_view, name="track"),
    path("track/<str:token>/", views.status_view, name="status"),
]
