"""The category endpoints of the JSON API: the category tree, flattened and paged by code,
and one category with its Open311-style attributes (what an intake client must send).

Categories are reference data: everyone who may view cases reads all of them. A token
needs `cases:read` or `cases:create` (a system that only registers cases must still learn
the codes and attributes it registers them with).
"""

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from civicgrid.api.auth import token_action
from civicgrid.api.models import TokenAction
from civicgrid.cases import selectors
from civicgrid.cases.models import CaseKind, Category
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged

router = Router(tags=["categories"])

READERS = (TokenAction.CASES_READ, TokenAction.CASES_CREATE)


class AttributeValueOut(Schema):
    key: str
    name: str


class CategoryAttributeOut(Schema):
    code: str
    description: str
    datatype: str = Field(..., description="string, number, datetime, text, "
                                           "singlevaluelist or multivaluelist")
    required: bool
    values: list[AttributeValueOut] = Field(..., description="the choices of a *valuelist")
    order: int

    @staticmethod
    def resolve_values(obj):
        return [{"key": str(key), "name": str(name)} for key, name in obj.values or []]


class CategoryOut(Schema):
    code: str
    name: str
    parent_code: str | None = None
    kind: str
    default_level: str
    specialty_code: str | None = None
    active: bool
    leaf: bool = Field(..., description="no subcategories: a case may be registered in it")
    attributes: list[CategoryAttributeOut]

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_specialty_code(obj):
        return obj.specialty.code if obj.specialty_id else None

    @staticmethod
    def resolve_leaf(obj):
        return obj.is_leaf

    @staticmethod
    def resolve_attributes(obj):
        return list(obj.attributes.all())


class CategoryDetailOut(CategoryOut):
    description: str
    sla: dict = Field(..., description='time limit per stage, e.g. {"accept": {"days": 3, '
                                       '"unit": "working"}}; unit is working or calendar')
    max_extensions: int
    max_extension_days: int
    children: list[str] = Field(..., description="codes of the subcategories")

    @staticmethod
    def resolve_children(obj):
        return [child.code for child in obj.children.all()]


class CategoryPage(Paged):
    items: list[CategoryOut]


class CategoryFilters(Schema):
    parent: str = Field("", max_length=12, description="parent category code")
    kind: CaseKind | None = None
    leaf: bool | None = Field(None, description="true: only categories without "
                                                "subcategories (what intake accepts)")
    active: bool = True
    q: str = Field("", max_length=60, description="words of the name")
    cursor: str | None = None
    limit: int = Field(100, ge=1, le=500)


@router.get("", response={200: CategoryPage, **ERRORS}, url_name="category_list")
@access("cases.case.view", api=True)
@token_action(*READERS)
def list_categories(request, filters: Query[CategoryFilters]):
    """The category tree flattened, by code (a parent comes before its children); follow
    `next_cursor` for the next page."""
    qs = selectors.category_list(actor=request.user, filters=selectors.CategoryFilters(
        parent=filters.parent, kind=filters.kind or "", leaf=filters.leaf,
        active=filters.active, q=filters.q))
    page = keyset_page(qs, ["code"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/{code}", response={200: CategoryDetailOut, **ERRORS}, url_name="category_detail")
@access("cases.case.view", model=Category, lookup={"code": "code"}, api=True)
@token_action(*READERS)
def get_category(request, code: str):
    """One category with its attributes, time limits and subcategories."""
    return get_object_or_404(selectors.category_detail(actor=request.user), code=code)
