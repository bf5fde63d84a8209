from django.urls import path

from civicgrid.reports import risk_views, survey_views, views
from civicgrid.reports.selectors import REPORT_KINDS

app_name = "reports"
urlpatterns = [
    path("", views.report_index_view, name="index"),
    # The public version of published releases: no sign-in (like the resident portal).
    path("public/", views.public_index_view, name="public_index"),
    path("public/release/", views.public_release_view, name="public_release"),
    path("public/release.xlsx", views.public_release_xlsx_view, name="public_release_xlsx"),
    path("public/release.pdf", views.public_release_pdf_view, name="public_release_pdf"),
    path("assessments/<int:pk>/report.pdf", risk_views.assessment_pdf_view,
         name="assessment_pdf"),
    # The report of a closed safety survey round (civicgrid/reports/survey_report.py).
    path("surveys/<int:pk>.pdf", survey_views.survey_pdf_view, name="survey_pdf"),
    path("surveys/<int:pk>.xlsx", survey_views.survey_xlsx_view, name="survey_xlsx"),
    # One pattern per report kind, so that each is enumerated (and checked) on its own.
    *(path(f"<str:code>/{kind}/", views.report_view, {"kind": kind}, name=kind)
      for kind in REPORT_KINDS),
    *(path(f"<str:code>/{kind}.xlsx", views.report_xlsx_view, {"kind": kind},
           name=f"{kind}_xlsx") for kind in REPORT_KINDS),
    *(path(f"<str:code>/{kind}.pdf", views.report_pdf_view, {"kind": kind},
           name=f"{kind}_pdf") for kind in REPORT_KINDS),
    path("<str:code>/release/", views.release_page_view, name="release"),
    path("<str:code>/release/publish/", views.release_publish_view, name="release_publish"),
    path("<str:code>/release/correct/", views.release_correct_view, name="release_correct"),
    path("<str:code>/release.xlsx", views.release_xlsx_view, name="release_xlsx"),
    path("<str:code>/release.pdf", views.release_pdf_view, name="release_pdf"),
]
