from django.urls import path

from civicgrid.areas import views

app_name = "areas"
urlpatterns = [
    path("", views.area_browser_view, name="browser"),
    # (before "<code>/": these are not area codes)
    path("roads/", views.roads_view, name="roads"),
    path("roads/remove/", views.road_import_remove_view, name="road_import_remove"),
    path("roads.geojson", views.roads_geojson_view, name="roads_geojson"),
    path("<str:code>/", views.area_detail_view, name="detail"),
    path("<str:code>/map.geojson", views.area_map_view, name="map"),
    path("<str:code>/labels.json", views.area_labels_view, name="labels"),
    path("<str:code>/buildings.geojson", views.area_buildings_view, name="buildings"),
    path("<str:code>/tree/", views.area_tree_view, name="tree"),
]
