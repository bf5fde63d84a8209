from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from civicgrid.accounts import selectors
from civicgrid.accounts.models import User
from civicgrid.core.access import access
from civicgrid.core.pagination import keyset_page
from civicgrid.core.schemas import ERRORS, Paged
from civicgrid.core.scope import get_scope

router = Router(tags=["users"])


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]
    areas: list[str]

    @staticmethod
    def resolve_roles(obj):
        return sorted(g.role for g in obj.role_grants.all())

    @staticmethod
    def resolve_areas(obj):
        return sorted(j.area.code for j in obj.jurisdictions.all())


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]
    areas: list[str]
    permissions: list[str]


class UserPage(Paged):
    items: list[UserOut]


class UserFilters(Schema):
    q: str = ""
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


@router.get("/me", response={200: MeOut, **ERRORS}, url_name="me", tags=["users"])
@access(api=True)
def me(request):
    scope = get_scope(request.user)
    return {
        "id": request.user.pk, "username": request.user.username,
        "display_name": request.user.display_name, "roles": sorted(scope.roles),
        "areas": list(scope.area_codes), "permissions": sorted(scope.permissions),
    }


@router.get("/users", response={200: UserPage, **ERRORS}, url_name="user_list")
@access("accounts.user.view", api=True)
def list_users(request, filters: Query[UserFilters]):
    qs = selectors.user_list(actor=request.user, query=filters.q)
    page = keyset_page(qs, ["username"], filters.cursor, filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/users/{int:user_id}", response={200: UserOut, **ERRORS}, url_name="user_detail")
@access("accounts.user.view", model=User, lookup={"user_id": "pk"}, api=True)
def get_user(request, user_id: int):
    return get_object_or_404(selectors.user_list(actor=request.user), pk=user_id)
