from django.urls import path

from civicgrid.units import views

app_name = "units"
urlpatterns = [
    path("", views.unit_list_view, name="list"),
    path("<int:pk>/", views.unit_detail_view, name="detail"),
]
