"""The members page: coordinators add people to their area (creating accounts for residents who
have none), change their roles, give a resident who forgot their password a new one, and remove
them; planners see who is in the area.

A plain form page: it works without JavaScript, and each change is one POST answered with a
redirect, so a reload never repeats it; but for a list added at once, whose answer shows the
first passwords this once (sending it again adds nobody twice and shows none)."""

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from config.forms import posted_id
from geo.models import Role
from geo.permissions import area_access
from geo.services import (
    members_add,
    membership_remove,
    membership_set,
    password_set,
    password_settable_among,
)

MEMBERS_PER_PAGE = 50


class AddMember(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=Role.choices, initial=Role.PARTICIPANT
    )
    password = forms.CharField(
        label=gettext_lazy("Password, for a new account"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "Only for someone without an account: it is created with this password, which"
            " they can change after logging in. Leave it empty to add an existing account."
        ),
    )

    def clean(self):
        data = super().clean()
        username, password = data.get("username"), data.get("password")
        # The name as typed: one spelt otherwise is membership_set's to answer, which names it
        # only to those who may see it (geo.services._spelling_known_to).
        taken = get_user_model().objects.filter(username=username)
        if username and password and taken.exists():
            self.add_error(
                "password",
                _("There is already an account named %(username)s. Leave the password empty.")
                % {"username": username},
            )
        return data


class AddMembers(forms.Form):
    """Several people at once, one username a line: those without an account get one, each with
    a first password of its own that the page shows once, to be handed over in person."""

    usernames = forms.CharField(
        label=gettext_lazy("Usernames, one a line"),
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=Role.choices, initial=Role.PARTICIPANT
    )

    def clean_usernames(self):
        return self.cleaned_data["usernames"].splitlines()


@never_cache  # it may show first passwords
@login_required
def members(request, slug):
    access = area_access(request, slug)  # 404 for an area the user may not see
    if not access.can("view_members"):
        raise PermissionDenied(_("Only coordinators and planners see an area's members."))
    manages = access.can("manage_members")
    form, many, added = AddMember(), AddMembers(prefix="many"), []
    if request.method == "POST":
        if not manages:
            raise PermissionDenied(_("Only coordinators manage an area's members."))
        action = request.POST.get("action")
        if action not in ("add", "add_many", "role", "remove", "password"):
            return HttpResponseBadRequest(_("Unknown change."))
        if action == "add_many":
            # Answered with the page itself, not a redirect: the first passwords are shown
            # this once and kept nowhere (a reload adds nobody twice and shows none again).
            many, added = _add_many(request, access.area)
        else:
            form = _change(request, access.area)
            if form is None and not _still_member(request.user, access.area):
                return redirect("home")  # they removed themselves: the page is no longer theirs
            if form is None:
                return redirect("area-members", slug)
    query = request.GET.get("q", "").strip()
    memberships = access.area.memberships.select_related("user").order_by("user__username", "id")
    if query:
        memberships = memberships.filter(user__username__icontains=query)
    # A page at a time: an area of 300 members, each with their forms, was 0.6 MB of page.
    page = Paginator(memberships, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    memberships = list(page.object_list)
    resettable = password_settable_among(request.user, [m.user for m in memberships])
    for membership in memberships:
        membership.password_settable = manages and membership.user_id in resettable
    login = request.build_absolute_uri(reverse("login"))  # on the first passwords' slips
    first_passwords = [one for one in added if one.password]
    context = {
        "area": access.area,
        "memberships": memberships,
        "page": page,
        "query": query,
        "manages": manages,
        "form": form,
        "many": many,
        "added": added,
        "first_passwords": first_passwords,
        "login_address": login,
        "login_qr": _qr_svg(login, _("Scan to log in")) if first_passwords else "",
        "roles": Role.choices,
    }
    refused = form.errors or many.errors
    return render(request, "geo/members.html", context, status=400 if refused else 200)


def _qr_svg(address: str, title: str):
    """A QR code of `address` for a phone's camera, as SVG in the page (no script, no image
    file to serve); on paper it is as sharp as the text beside it."""
    code = segno.make(address, error="m").svg_inline(scale=3, title=title, svgclass="qr")
    return mark_safe(code)  # segno's own markup, the title escaped by segno


def _add_many(request, area) -> tuple[AddMembers, list]:
    """The list form (with its errors), and who was added."""
    many = AddMembers(request.POST, prefix="many")
    if not many.is_valid():
        return many, []
    data = many.cleaned_data
    try:
        added = members_add(
            area=area, usernames=data["usernames"], role=data["role"], requester=request.user
        )
    except ValidationError as error:
        for name, problems in error.message_dict.items():
            for problem in problems:
                many.add_error(
                    "usernames" if name == "usernames" else None,
                    problem if name == "usernames" else f"{name}: {problem}",
                )
        return many, []
    if not added:
        many.add_error("usernames", _("No usernames given."))
        return many, []
    return AddMembers(prefix="many"), added  # an empty list for the next ones


def _change(request, area) -> AddMember | None:
    """Apply the POSTed change; the add form with its errors, or None when done."""
    action = request.POST.get("action")
    if action == "add":
        form = AddMember(request.POST)
        if not form.is_valid():
            return form
        data = form.cleaned_data
        earlier = area.memberships.filter(user__username=data["username"]).first()
        try:
            membership = membership_set(
                area=area,
                username=data["username"],
                role=data["role"],
                create=bool(data["password"]),
                password=data["password"],
                requester=request.user,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
            return form
        messages.success(request, _added(membership, earlier))
        return None
    membership = get_object_or_404(area.memberships, pk=posted_id(request, "membership"))
    try:
        if action == "role":
            membership = membership_set(
                area=area, username=membership.user.username, role=request.POST.get("role")
            )
            messages.success(request, _added(membership))
        elif action == "password":
            password_set(
                requester=request.user,
                user=membership.user,
                password=request.POST.get("password", ""),
            )
            messages.success(
                request,
                _("%(username)s has a new password. Give it to them in person.")
                % {"username": membership.user.username},
            )
        elif action == "remove":
            membership_remove(membership=membership)
            messages.success(
                request,
                _("%(username)s is no longer a member.") % {"username": membership.user.username},
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return None


def _still_member(user, area) -> bool:
    return user.is_superuser or area.memberships.filter(user=user).exists()


def _added(membership, earlier=None) -> str:
    """What happened, said plainly: adding someone who is a member already changes their role,
    which the coordinator must notice."""
    names = {"username": membership.user.username, "role": membership.get_role_display().lower()}
    if earlier is None:
        return _("%(username)s is %(role)s in this area.") % names
    if earlier.role == membership.role:
        return _("%(username)s was %(role)s in this area already.") % names
    return _("%(username)s was %(earlier)s and is now %(role)s in this area.") % {
        **names,
        "earlier": earlier.get_role_display().lower(),
    }
