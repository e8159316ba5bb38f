"""Who may do what in an area. Every way out of the database (API, tiles, exports, OGC API)
asks these functions, so the rules live in one place.

Roles (DESIGN.md): participant < planner < analyst; the coordinator manages the area and its
members and sees what a planner sees. Exact crime points, imports and analyses are for analysts.
Anonymous users see nothing unless an area is published, and then only aggregates.
"""

from dataclasses import dataclass

from geo.models import Area, Membership, Role

# Capabilities each role grants.
CAPABILITIES: dict[str, set[str]] = {
    Role.PARTICIPANT: {"view_area", "view_walk_layers", "capture"},
    Role.PLANNER: {
        "view_area",
        "view_walk_layers",
        "view_layers",
        "export",
        "plan_walks",
        "view_members",
    },
    Role.ANALYST: {
        "view_area",
        "view_walk_layers",
        "view_layers",
        "export",
        "view_crime_points",
        "import",
        "analyse",
    },
    Role.COORDINATOR: {
        "view_area",
        "view_walk_layers",
        "view_layers",
        "export",
        "plan_walks",
        "view_members",
        "manage_members",
        "manage_area",
    },
}
PUBLIC_CAPABILITIES = {"view_area", "view_layers"}
ALL_CAPABILITIES = set().union(*CAPABILITIES.values())


@dataclass(frozen=True)
class Access:
    """What one user may do in one area; `role` is None for the public or a superuser."""

    area: Area
    role: str | None
    capabilities: frozenset[str]
    is_superuser: bool = False

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def sees_crime_points(self) -> bool:
        return self.can("view_crime_points")

    @property
    def cache_key(self) -> str:
        """What distinguishes this user's view of the area, for cache keys and ETags."""
        if self.sees_crime_points:
            return "exact"
        if self.can("view_layers"):
            return "aggregate"
        return "walks" if self.can("view_walk_layers") else "none"


def role_of(user, area: Area) -> str | None:
    if not user or not user.is_authenticated:
        return None
    cached = getattr(user, "_trygg_roles", None)
    if cached is None:
        cached = user._trygg_roles = {}
    if area.pk not in cached:
        cached[area.pk] = (
            Membership.objects.filter(user=user, area=area).values_list("role", flat=True).first()
        )
    return cached[area.pk]


def access_for(user, area: Area) -> Access:
    if user and user.is_authenticated and user.is_superuser:
        return access_with_role(area, None, is_superuser=True)
    return access_with_role(area, role_of(user, area))


def access_with_role(area: Area, role: str | None, *, is_superuser: bool = False) -> Access:
    """The rule of access_for for a role already known (None: not a member), so that a caller
    that looks the role up inside its own query (tiles) applies exactly the same rule."""
    if is_superuser:
        return Access(area, None, frozenset(ALL_CAPABILITIES), is_superuser=True)
    capabilities = set(CAPABILITIES.get(role, set()))
    if area.published:
        capabilities |= PUBLIC_CAPABILITIES
    return Access(area, role, frozenset(capabilities))
