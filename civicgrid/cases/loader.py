"""Load the built-in category taxonomy (civicgrid/cases/taxonomy.py) into the database.

Shared by data migration 0002 (with the historical models) and `manage.py
load_categories`. Existing categories are left as administrators edited them unless
`update=True`; missing ones (and their attributes) are created. The English names
(taxonomy.ENGLISH, ADR 0009) go into the `*_en` columns when the model has them (the
historical model of migration 0002 does not; migration 0012 fills them in).
"""

from __future__ import annotations

from civicgrid.cases import taxonomy


def load_categories(*, Category, CategoryAttribute, Specialty, update: bool = False) -> int:  # noqa: N803
    specialties = {s.code: s for s in Specialty.objects.all()}
    existing = {c.code: c for c in Category.objects.all()}
    english = any(f.name == "name_en" for f in Category._meta.fields)
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
        if english:
            values["name_en"] = taxonomy.english(spec.name)
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
            if english:
                fields |= attribute_english(attribute)
            if attribute.code in known:
                CategoryAttribute.objects.filter(category=category, code=attribute.code
                                                 ).update(**fields)
            else:
                CategoryAttribute.objects.create(category=category, code=attribute.code,
                                                 **fields)
    if english:  # rows created before the English names existed
        fill_english(Category=Category, CategoryAttribute=CategoryAttribute)
    return changed


def attribute_english(attribute: taxonomy.Attribute) -> dict[str, object]:
    """The `*_en` columns of a built-in attribute: its question and its answers in English."""
    return {"description_en": taxonomy.english(attribute.description),
            "values_en": {key: taxonomy.english(name) for key, name in attribute.values
                          if taxonomy.english(name)}}


def fill_english(*, Category, CategoryAttribute) -> int:  # noqa: N803
    """Give the built-in categories and attributes that still carry the shipped Chinese their
    English twins where those are empty; what an administrator changed is left alone."""
    specs = taxonomy.by_code()
    changed = 0
    for category in Category.objects.filter(code__in=specs.keys()):
        spec = specs[category.code]
        if not category.name_en and category.name == spec.name:
            category.name_en = taxonomy.english(spec.name)
            category.save(update_fields=["name_en"])
            changed += 1
        attributes = {a.code: a for a in spec.attributes}
        for row in CategoryAttribute.objects.filter(category=category, code__in=attributes):
            attribute = attributes[row.code]
            update = attribute_english(attribute)
            if row.description_en or row.description != attribute.description:
                update.pop("description_en")
            if row.values_en or [list(v) for v in row.values] != \
                    [list(v) for v in attribute.values]:
                update.pop("values_en")
            if update:
                for key, value in update.items():
                    setattr(row, key, value)
                row.save(update_fields=list(update))
    return changed
