"""Multi-step writes for areas and their members."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from geo.models import Area, Membership, Role


@transaction.atomic
def membership_set(*, area: Area, username: str, role: str, create: bool = False,
                   password: str | None = None) -> Membership:
    """Give `username` the `role` in `area` (replacing any role they had there)."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}; use one of {', '.join(Role.values)}."})
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
