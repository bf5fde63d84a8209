from django.urls import path

from civicgrid.imports import export_views, views

app_name = "imports"
urlpatterns = [
    path("", views.runs_view, name="runs"),
    path("new/", views.upload_view, name="upload"),
    path("templates/<str:profile>.xlsx", views.template_view, name="template"),
    path("<int:pk>/", views.run_view, name="run"),
    path("<int:pk>/progress/", views.progress_view, name="progress"),
    path("<int:pk>/rows/", views.rows_view, name="rows"),
    path("<int:pk>/apply/", views.apply_view, name="apply"),
    path("<int:pk>/undo/", views.undo_view, name="undo"),
    path("<int:pk>/discard/", views.discard_view, name="discard"),
    # export of an area's registry and the data-quality report (export_views.py)
    path("export/", export_views.export_view, name="export"),
    path("quality/", export_views.quality_home_view, name="quality_home"),
    path("quality/<str:code>/", export_views.quality_view, name="quality"),
]
