"""The members page: coordinators add people to their area (creating accounts for residents who
have none), change their roles, give a resident who forgot their password a new one, and remove
them; planners see who is in the area.

A plain form page: it works without JavaScript, and each change is one POST answered with a
redirect, so a reload never repeats it."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.forms import posted_id
from geo.models import Role
from geo.permissions import area_access
from geo.services import (
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


@login_required
def members(request, slug):
    access = area_access(request, slug)  # 404 for an area the user may not see
    if not access.can("view_members"):
        raise PermissionDenied(_("Only coordinators and planners see an area's members."))
    manages = access.can("manage_members")
    form = AddMember()
    if request.method == "POST":
        if not manages:
            raise PermissionDenied(_("Only coordinators manage an area's members."))
        if request.POST.get("action") not in ("add", "role", "remove", "password"):
            return HttpResponseBadRequest(_("Unknown change."))
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
    context = {
        "area": access.area,
        "memberships": memberships,
        "page": page,
        "query": query,
        "manages": manages,
        "form": form,
        "roles": Role.choices,
    }
    return render(request, "geo/members.html", context, status=400 if form.errors else 200)


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
