from django.urls import path, register_converter

from civicgrid.cases import views
from civicgrid.cases.workflow import TRANSITIONS


class TransitionConverter:
    """A transition name of the workflow table; anything else does not resolve (404)."""

    regex = "|".join(sorted(TRANSITIONS, key=len, reverse=True))

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TransitionConverter, "transition")

app_name = "cases"
urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("export.xlsx", views.case_export_view, name="export"),
    path("dispatch-batch/", views.case_dispatch_batch_view, name="dispatch_batch"),
    path("new/", views.case_new_view, name="new"),
    path("new/attributes/", views.intake_attributes_view, name="new_attributes"),
    path("new/duplicates/", views.intake_duplicates_view, name="new_duplicates"),
    path("notices/", views.notice_list_view, name="notices"),
    path("<str:number>/", views.case_detail_view, name="detail"),
    path("<str:number>/actions/<transition:name>/", views.case_action_view, name="action"),
    path("<str:number>/parties/<int:pk>/reveal/", views.party_reveal_view,
         name="party_reveal"),
    path("<str:number>/parties/add/", views.party_add_view, name="party_add"),
    path("<str:number>/parties/<int:pk>/edit/", views.party_edit_view, name="party_edit"),
    path("<str:number>/parties/<int:pk>/remove/", views.party_remove_view,
         name="party_remove"),
    path("<str:number>/correct/", views.case_correct_view, name="correct"),
    path("<str:number>/matter/", views.case_matter_view, name="matter"),
    path("<str:number>/attachments/<int:pk>/", views.attachment_view, name="attachment"),
    path("<str:number>/attachments/<int:pk>/thumb/", views.attachment_thumb_view,
         name="attachment_thumb"),
    path("<str:number>/agreement.pdf", views.agreement_pdf_view, name="agreement_pdf"),
    path("<str:number>/registration.pdf", views.registration_pdf_view,
         name="registration_pdf"),
]
