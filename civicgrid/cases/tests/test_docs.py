from pathlib import Path

from django.conf import settings

from civicgrid.cases.management.commands.workflow_diagram import render
from civicgrid.cases.workflow import TRANSITIONS


def test_workflow_doc_is_generated_from_the_table():
    text = (Path(settings.BASE_DIR) / "docs" / "workflow.md").read_text(encoding="utf-8")
    assert text == render(), "run `manage.py workflow_diagram`"
    for name in TRANSITIONS:
        assert f"`{name}`" in text
