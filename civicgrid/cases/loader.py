"""Load the built-in category taxonomy (civicgrid/cases/taxonomy.py) into the database.

Shared by data migration 0002 (with the historical models) and `manage.py
load_categories`. Existing categories are left as administrators edited them unless
`update=True`; missing ones (and their attributes) are created.
"""

from __future__ import annotations

from civicgrid.cases import taxonomy


def load_categories(*, Category, CategoryAttribute, Specialty, update: bool = False) -> int:  # noqa: N803
    specialties = {s.code: s for s in Specialty.objects.all()}
    existing = {c.code: c for c in Category.objects.all()}
    changed = 0
    for spec in taxonomy.CATEGORIES:  # parents come before children
        parent_code = taxonomy.parent_code(spec.code)
        values = {
            "name": spec.name, "kind": spec.kind, "default_level": spec.level,
            "parent": existing.get(parent_code) if parent_code else None,
            "specialty": specialties.get(spec.specialty),
            "sla": {stage: {"days": s.days, "unit": s.unit} for stage, s in spec.sla.items()},
            "max_extensions": spec.max_extensions,
            "max_extension_days": spec.max_extension_days,
            "description": spec.description, "keywords": " ".join(spec.keywords)[:200],
        }
        category = existing.get(spec.code)
        if category is None:
            category = Category.objects.create(code=spec.code, **values)
            existing[spec.code] = category
        elif update:
            for key, value in values.items():
                setattr(category, key, value)
            category.save()
        else:
            continue
        changed += 1
        known = set(CategoryAttribute.objects.filter(category=category)
                    .values_list("code", flat=True))
        for attribute in spec.attributes:
            fields = {"description": attribute.description, "datatype": attribute.datatype,
                      "required": attribute.required,
                      "values": [list(v) for v in attribute.values], "order": attribute.order}
            if attribute.code in known:
                CategoryAttribute.objects.filter(category=category, code=attribute.code
                                                 ).update(**fields)
            else:
                CategoryAttribute.objects.create(category=category, code=attribute.code,
                                                 **fields)
    return changed
