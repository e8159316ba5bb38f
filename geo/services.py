"""Multi-step writes for areas and their members."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from geo.models import Area, Membership, Role


@transaction.atomic
def membership_set(
    *, area: Area, username: str, role: str, create: bool = False, password: str | None = None
) -> Membership:
    """Give `username` the `role` in `area` (replacing any role they had there)."""
    if role not in Role.values:
        raise ValidationError(
            {"role": f"Unknown role {role!r}; use one of {', '.join(Role.values)}."}
        )
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        if not create:
            raise ValidationError({"username": f"No user named {username!r} (use --create)."})
        if not password:
            raise ValidationError({"password": "A new user needs a password."})
        user = User.objects.create_user(username=username, password=password)
    membership, _ = Membership.objects.update_or_create(
        user=user, area=area, defaults={"role": role}
    )
    return membership


# Layers whose data versions are tracked (tile and export ETags derive from them).
LAYERS = ("blocks", "crime", "observations", "lamps", "walks", "analysis")


def data_version_bump(*, area: Area, layers: tuple[str, ...] | list[str]) -> None:
    """Mark layers of an area as changed. Call it inside the transaction that changes them, so a
    cache can never see the new version with the old data or the reverse."""
    from django.db import connection

    unknown = set(layers) - set(LAYERS)
    if unknown:
        raise ValueError(f"Unknown layers {sorted(unknown)}")
    with connection.cursor() as cursor:
        cursor.executemany(
            """
            INSERT INTO geo_dataversion (area_id, layer, version, changed_at)
            VALUES (%s, %s, 2, now())
            ON CONFLICT (area_id, layer)
            DO UPDATE SET version = geo_dataversion.version + 1, changed_at = now()
            """,
            [(area.pk, layer) for layer in layers],
        )


def data_versions(*, area: Area) -> dict[str, int]:
    """Current version per layer (1 for a layer never changed since tracking began)."""
    from geo.models import DataVersion

    stored = dict(DataVersion.objects.filter(area=area).values_list("layer", "version"))
    return {layer: stored.get(layer, 1) for layer in LAYERS}


def audit_record(*, user, area: Area, action: str, detail: dict | None = None) -> None:
    """Leave an audit entry (crime points read in full or exported). Never pass secrets."""
    from geo.models import AuditEntry

    AuditEntry.objects.create(
        user=user if user and user.is_authenticated else None,
        username=getattr(user, "username", "") or "anonymous",
        area=area,
        action=action,
        detail=detail or {},
    )
