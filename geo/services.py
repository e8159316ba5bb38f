"""Multi-step writes for areas and their members."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.hashers import first_password_hash
from accounts.passwords import tokens_end
from geo.access import CAPABILITIES
from geo.models import Area, Membership, Role

# The first half of the advisory lock key of a user name (layers.jobs has 7301 and 7302).
NAME_LOCK_SPACE = 7310


@transaction.atomic
def membership_set(
    *,
    area: Area,
    username: str,
    role: str,
    create: bool = False,
    password: str | None = None,
    requester=None,
    generated: bool = False,
) -> Membership:
    """Give `username` the `role` in `area` (replacing any role they had there); with `create`,
    a missing user is created with `password`, which must pass the password rules.
    `requester`: who asks (a coordinator), for what a refusal may tell them of other accounts
    (_spelling_known_to); None for the operator's command, which may be told everything.
    `generated`: the password is one of first_password's (accounts.hashers)."""
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role %(role)r; use one of %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            }
        )
    User = get_user_model()
    username = User.normalize_username(username)  # NFKC: "ﬁ" and "fi" are one name
    # One change per name at a time, letter case aside (as the lookups below compare names):
    # two coordinators adding "Karin" and "karin" at once both found no such account and made
    # two. Held until the transaction ends.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(upper(%s)))", [NAME_LOCK_SPACE, username]
        )
    user = User.objects.filter(username=username).first()
    if user is None:
        # Names that differ only in letter case are one person to the people who type them:
        # a second account would split a resident's walks and findings between two logins.
        similar = User.objects.filter(username__iexact=username).first()
        if similar is not None and _spelling_known_to(requester, similar):
            raise ValidationError(
                {
                    "username": _(
                        "There is an account named %(existing)s; names that differ only in"
                        " letter case are not told apart. Add that one."
                    )
                    % {"existing": similar.username}
                }
            )
        if not create:
            # An account the requester may not know of answers as no account at all.
            raise ValidationError(
                {"username": _("No user named %(username)r.") % {"username": username}}
            )
        if similar is not None:  # a new account must not be a second one of that person
            raise ValidationError(
                {
                    "username": _(
                        "No new account can be made with the name %(username)r; choose another."
                    )
                    % {"username": username}
                }
            )
        user = _user_create(User, username, password, generated=generated)
    membership = Membership.objects.filter(user=user, area=area).first()
    if membership is None:
        return Membership.objects.create(user=user, area=area, role=role)
    _keep_a_coordinator(membership, role)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


# A first password to read off a slip of paper: no 0/O, 1/l/I or 5/S to mistake for each other;
# three groups of four from 29 signs are 58 bits.
FIRST_PASSWORD_SIGNS = "abcdefghijkmnpqrtuvwxyz234679"
MEMBERS_AT_ONCE = 200  # a walk's residents, or a housing company's caretakers, not a census


def first_password() -> str:
    signs = "".join(secrets.choice(FIRST_PASSWORD_SIGNS) for _sign in range(12))
    return f"{signs[:4]}-{signs[4:8]}-{signs[8:]}"


@dataclass(frozen=True)
class Added:
    membership: Membership
    password: str | None = None  # the first password of an account made now
    already: bool = False  # a member of the area already, whose role stays as it was


def members_add(*, area: Area, usernames: list[str], role: str, requester) -> list[Added]:
    """Add several people to `area` with one `role`, as a coordinator does before a walk with
    a list of residents: an account that exists is added by its name; one that does not is
    made with a first password of its own, returned once to be handed over in person. Someone
    in the area already keeps their role (a planner on a list of residents stays a planner).

    All or nothing: if any name is refused (ValidationError keyed by the names, with
    membership_set's reasons), nothing is changed. A name is taken once, letter case aside."""
    names = _distinct_names(usernames)
    if len(names) > MEMBERS_AT_ONCE:
        raise ValidationError(
            {"usernames": _("At most %(n)s names at once.") % {"n": MEMBERS_AT_ONCE}}
        )
    User = get_user_model()
    added, refused = [], {}
    with transaction.atomic():
        for name in names:
            member = area.memberships.filter(user__username=name).first()
            if member is not None:
                added.append(Added(member, already=True))
                continue
            new = not User.objects.filter(username=name).exists()
            password = first_password() if new else None
            try:
                membership = membership_set(
                    area=area,
                    username=name,
                    role=role,
                    create=new,
                    password=password,
                    requester=requester,
                    generated=True,
                )
            except ValidationError as error:
                refused[name] = error.messages
                continue
            added.append(Added(membership, password=password))
        if refused:
            raise ValidationError(refused)  # and every addition is rolled back
    return added


def _distinct_names(usernames: list[str]) -> list[str]:
    User = get_user_model()
    names, seen = [], set()
    for typed in usernames:
        name = User.normalize_username(typed.strip())
        if name and name.upper() not in seen:
            seen.add(name.upper())
            names.append(name)
    return names


def _spelling_known_to(requester, user) -> bool:
    """Whether a refusal may name `user`'s account as it is spelt to `requester`.

    A coordinator typing "karin" would be told "There is an account named Karin" while a name
    nobody has answers "No user named …": the difference told them, without a trace, which
    names exist anywhere, in areas that are not theirs. So the hint is for accounts whose names
    the requester already sees on a members list (a member of an area where they see the
    members), where it saves them a second account for one of their own people; any other
    account answers as if there were none. Adding an account by its exact name still works
    anywhere: that is how a coordinator brings in someone who has one (who tells them the name),
    and it leaves a membership behind, not a silent answer."""
    if requester is None or requester.is_superuser:
        return True
    seeing = [role for role, capabilities in CAPABILITIES.items() if "view_members" in capabilities]
    areas = Membership.objects.filter(user=requester, role__in=seeing).values("area")
    return Membership.objects.filter(user=user, area__in=areas).exists()


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """End a membership; the member also leaves the area's walks still to come or under way
    (which they could no longer open), and stays on those done, as a record of who walked."""
    from walks.models import OPEN_WALK  # walks builds on geo, not the other way

    _keep_a_coordinator(membership, None)
    open_walks = membership.user.walks.filter(area=membership.area, status__in=OPEN_WALK)
    # Their participants change: each walk's version (its ETag) too, as any change of a walk.
    open_walks.update(version=F("version") + 1)
    for walk in open_walks:
        walk.participants.remove(membership.user)
        # Their tablet may still hold findings of it: it is told they left (walks.access).
        walk.former_participants.add(membership.user)
    membership.delete()


# An account and its membership made together (geo.services.membership_set with create).
CREATED_WITH = timedelta(minutes=1)


def password_settable_among(requester, users) -> set[int]:
    """The ids of those of `users` whom `requester` may give a new password: a superuser, all
    of them; a coordinator, accounts that are participants and nothing else, only in areas they
    coordinate (a resident who forgot the password they were given). Never staff, nor anyone
    who may see more than a participant, whom a coordinator could otherwise impersonate."""
    if requester.is_superuser:
        return {user.pk for user in users}
    coordinated = set(
        requester.memberships.filter(role=Role.COORDINATOR).values_list("area_id", flat=True)
    )
    candidates = {
        user.pk for user in users if not (user.is_staff or user.is_superuser or user == requester)
    }
    roles: dict[int, list[tuple[int, str, bool]]] = {}
    memberships = Membership.objects.filter(user_id__in=candidates).values_list(
        "user_id", "area_id", "role", "created_at", "user__date_joined"
    )
    for user_id, area_id, role, since, joined in memberships:
        roles.setdefault(user_id, []).append((area_id, role, abs(since - joined) < CREATED_WITH))
    return {
        user_id
        for user_id, held in roles.items()
        if all(role == Role.PARTICIPANT and area in coordinated for area, role, _ in held)
        # The account was made for one of these areas (its members page, add_member --create):
        # an older account added as a participant (a former member's, one made by an admin)
        # would otherwise be the adding coordinator's to take over with a new password.
        and any(made_here for _, _, made_here in held)
    }


@transaction.atomic
def password_set(*, requester, user, password: str) -> None:
    if user.pk not in password_settable_among(requester, [user]):
        raise ValidationError(
            {
                "password": _(
                    "You can set the password only of accounts that were made for your areas"
                    " and take part in their walks and nothing else."
                )
            }
        )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)  # their sessions end: the session auth hash changes
    user.save(update_fields=["password"])
    tokens_end(user)


def _user_create(User, username: str, password: str | None, *, generated: bool = False):
    try:
        User.username_validator(username)
    except ValidationError as error:
        raise ValidationError({"username": error.messages}) from None
    if not password:
        raise ValidationError({"password": _("A new account needs a password.")})
    user = User(username=username)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    if generated:  # one of first_password's: hashed for what it is (accounts.hashers)
        user.password = first_password_hash(password)
    else:
        user.set_password(password)
    user.save()
    return user


def _keep_a_coordinator(membership: Membership, new_role: str | None) -> None:
    """An area's last coordinator cannot leave or step down: nobody could manage its members
    any more (only a server administrator)."""
    if membership.role != Role.COORDINATOR or new_role == Role.COORDINATOR:
        return
    # Locked, so two coordinators demoting each other at once cannot both succeed.
    coordinators = Membership.objects.select_for_update().filter(
        area=membership.area, role=Role.COORDINATOR
    )
    if all(other.pk == membership.pk for other in coordinators):
        raise ValidationError(
            {
                "role": _(
                    "%(username)s is the area's only coordinator; make someone else"
                    " coordinator first."
                )
                % {"username": membership.user.username}
            }
        )


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
    """Leave an audit entry (crime points read in full or exported, a finding or a photo
    deleted). Never pass secrets, nor the content of what was deleted."""
    from geo.models import AuditEntry

    AuditEntry.objects.create(
        user=user if user and user.is_authenticated else None,
        username=getattr(user, "username", "") or "anonymous",
        area=area,
        action=action,
        detail=detail or {},
    )
