from __future__ import annotations

import json

from django.shortcuts import get_object_or_404, render

from civicgrid.audit import selectors
from civicgrid.audit.events import event_label
from civicgrid.audit.forms import AuditFilterForm
from civicgrid.audit.models import AuditEntry
from civicgrid.core.access import access
from civicgrid.core.htmx import is_htmx
from civicgrid.core.pagination import request_page


@access("audit.auditentry.view")
def audit_list_view(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.audit_entries(actor=request.user, filters=filters)
    page = request_page(request, qs, ["-id"])
    for entry in page.items:
        entry.event_label = event_label(entry.event_type)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form, "page": page, "query": query.urlencode(),
        "event_types": [(t, event_label(t))
                        for t in selectors.audit_event_types(actor=request.user)],
    }
    template = "audit/partials/entry_rows.html" if is_htmx(request) else "audit/audit_list.html"
    return render(request, template, context)


@access("audit.auditentry.view", model=AuditEntry, lookup={"pk": "pk"})
def audit_detail_view(request, pk: int):
    entry = get_object_or_404(AuditEntry.objects.restrict(request.user, "view"), pk=pk)
    details_json = json.dumps(entry.details, ensure_ascii=False, indent=2)
    context = {"entry": entry, "details_json": details_json,
               "event_label": event_label(entry.event_type)}
    return render(request, "audit/audit_detail.html", context)
