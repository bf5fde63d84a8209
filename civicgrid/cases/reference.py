"""Categories as every process keeps them in memory (core/refcache.py, REFERENCE): each
with its attributes, its specialty and whether it has children (a case takes only a leaf),
so an intake reads none of it. A saved or removed category or attribute bumps the counter."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from civicgrid.cases.models import Category
from civicgrid.core.refcache import REFERENCE, RefCache

# The whole taxonomy (a few hundred categories) is read at once, in two statements: an
# intake of any category then reads none of it.
_categories: RefCache[dict[str, Category]] = RefCache("categories", REFERENCE, max_entries=1)


def _load() -> dict[str, Category]:
    return {c.code: c for c in Category.objects.select_related("specialty")
            .prefetch_related("attributes")
            .annotate(has_children=Exists(Category.objects.filter(parent=OuterRef("pk"))))}


def category_by_code(code: str) -> Category | None:
    """The category with this code, its attributes, specialty and `has_children` loaded."""
    return _categories.get("all", _load).get(code)


def category_is_leaf(category: Category) -> bool:
    """No category below it (from `category_by_code`'s annotation when there, else asked)."""
    has_children = getattr(category, "has_children", None)
    if has_children is None:
        return not category.children.exists()
    return not has_children
