from django.urls import path

from civicgrid.areas import views

app_name = "areas"
urlpatterns = [
    path("", views.area_browser_view, name="browser"),
    path("<str:code>/", views.area_detail_view, name="detail"),
    path("<str:code>/map.geojson", views.area_map_view, name="map"),
    path("<str:code>/tree/", views.area_tree_view, name="tree"),
]
