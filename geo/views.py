import logging

from django.db import DatabaseError
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from config.pagination import PagesWhenAsked, search_parameter, searched
from geo.access import access_with_role
from geo.bbox import parse_bbox
from geo.checks import postgis_version, task_queue_state
from geo.geojson import feature, feature_collection, geojson_of
from geo.models import Area, Membership, Role
from geo.permissions import AreaCapability, area_access, requires
from geo.querysets import crime_counts_fill
from geo.serializers import (
    AreaSerializer,
    BlockSerializer,
    MemberAddedSerializer,
    MemberAddSerializer,
    MembersAddSerializer,
    MembershipSerializer,
)
from geo.services import members_add, membership_remove, membership_set

log = logging.getLogger(__name__)


def healthz(request):
    """For a load balancer and monitoring: 503 while the database cannot be reached (the web
    workers can answer nothing else), 200 otherwise; `worker` is "late" when a task has waited
    for the background worker too long (imports and analyses stall, pages do not). The page
    is public, so the PostGIS version, how many imports and analyses wait and when a worker
    last took or finished one are for staff only: to anyone else they tell what to attack and
    how busy the analysts are."""
    try:
        health = {"database": "ok", **task_queue_state()}
        if request.user.is_staff:
            health["postgis"] = postgis_version()
        else:
            del health["tasks_waiting"], health["worker_seen_at"]
    except DatabaseError as error:
        # One line, not the traceback of an Internal Server Error at every probe.
        log.warning("healthz: the database cannot be reached: %s", error)
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse(health)


class AreaList(generics.ListAPIView):
    """Areas the user may see: their own, plus published ones."""

    serializer_class = AreaSerializer
    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self):
        return Area.objects.visible_to(self.request.user).with_counts()

    def list(self, request, *args, **kwargs):
        areas = list(self.filter_queryset(self.get_queryset()))
        crime_counts_fill(areas)
        return Response(self.get_serializer(areas, many=True).data)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        roles = {}
        if user.is_authenticated:
            roles = dict(Membership.objects.filter(user=user).values_list("area_id", "role"))
        context["roles"] = roles
        return context


class BlockList(generics.ListAPIView):
    """The blocks of an area as a GeoJSON FeatureCollection, optionally within a bbox."""

    serializer_class = BlockSerializer
    permission_classes = [AreaCapability]
    pagination_class = None

    @extend_schema(
        parameters=[OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat")]
    )
    def get(self, request, *args, **kwargs):
        rows = (
            self.get_queryset()
            .annotate(geometry=geojson_of("geom"))
            .values_list("code", "name", "population", "geometry")
        )
        body = feature_collection(
            feature(code, geometry, {"code": code, "name": name, "population": population})
            for code, name, population, geometry in rows.iterator(chunk_size=2000)
        )
        return HttpResponse(body, content_type="application/json")

    def get_queryset(self):
        access = area_access(self.request, self.kwargs["slug"])
        blocks = access.area.blocks.order_by("code")
        bbox = parse_bbox(self.request.query_params.get("bbox"))
        return blocks.in_bbox(bbox) if bbox else blocks


@extend_schema_view(
    get=extend_schema(summary="Members of an area", parameters=[search_parameter("username")]),
    post=extend_schema(
        summary="Add a member or change their role, creating an account with `password` for "
        "someone who has none (coordinators)",
        request=MemberAddSerializer,
        responses={201: MembershipSerializer},
    ),
)
class MemberList(generics.ListCreateAPIView):
    """Members of an area by username; coordinators add members or change their role. `?q=`
    finds members by username; `?limit=` answers page by page."""

    serializer_class = MembershipSerializer
    pagination_class = PagesWhenAsked

    def get_permissions(self):
        capability = "manage_members" if self.request.method == "POST" else "view_members"
        return [requires(capability)()]

    def get_queryset(self):
        memberships = area_access(self.request, self.kwargs["slug"]).area.memberships
        # By username, so that pages follow each other without gaps or repeats.
        memberships = memberships.select_related("user").order_by("user__username", "id")
        return searched(self.request, memberships, "user__username")

    def create(self, request, *args, **kwargs):
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password = serializer.validated_data.get("password")
        membership = membership_set(
            area=self.access.area,
            username=serializer.validated_data["username"],
            role=serializer.validated_data["role"],
            create=bool(password),
            password=password,
            requester=request.user,
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="Add several people with one role, creating accounts with first passwords for those "
    "who have none (coordinators); all or nothing",
    request=MembersAddSerializer,
    responses={201: MemberAddedSerializer(many=True)},
)
class MembersAdd(generics.GenericAPIView):
    """A walk's residents at once: `{"usernames": [...], "role": "participant"}`. Each account
    made now comes with its `first_password`, in this answer only (sent with no-store); one
    refused name answers 400 with the reasons per name and adds nobody."""

    serializer_class = MembersAddSerializer
    permission_classes = [requires("manage_members")]

    def post(self, request, *args, **kwargs):
        serializer = MembersAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        added = members_add(
            area=self.access.area,
            usernames=serializer.validated_data["usernames"],
            role=serializer.validated_data["role"],
            requester=request.user,
        )
        answer = Response(MemberAddedSerializer(added, many=True).data, status=201)
        answer["Cache-Control"] = "no-store"
        return answer


class MemberDetail(generics.DestroyAPIView):
    """Coordinators remove a member from the area."""

    serializer_class = MembershipSerializer
    permission_classes = [requires("manage_members")]

    def get_object(self):
        return get_object_or_404(self.access.area.memberships, pk=self.kwargs["pk"])

    def perform_destroy(self, instance):
        membership_remove(membership=instance)


def home(request):
    """The start page: the areas the user may see, with links to their map and walks."""
    from django.shortcuts import render

    areas = list(Area.objects.visible_to(request.user))
    if request.user.is_authenticated:
        roles = dict(Membership.objects.filter(user=request.user).values_list("area_id", "role"))
        walks = _latest_walks(request.user, areas)
        superuser = request.user.is_superuser
        open_findings = _open_findings(areas)
        for area in areas:
            role = roles.get(area.pk)
            access = access_with_role(area, role, is_superuser=superuser)
            area.role_label = Role(role).label if role else None
            area.my_walks = [w for w in walks if w.area_id == area.pk]
            area.plans_walks = access.can("plan_walks")
            area.runs_analyses = access.can("import")
            area.sees_members = access.can("view_members")
            # Those who follow findings up see how many wait, linked to the map showing them.
            area.open_findings = open_findings.get(area.pk, 0) if area.plans_walks else 0
    return render(request, "home.html", {"areas": areas})


# The start page lists a member's latest walks per area, and links to My walks for more.
HOME_WALKS = 5


def _latest_walks(user, areas) -> list:
    """The user's latest HOME_WALKS + 1 walks in each area (the one more tells that there are
    more), in one query: a resident on a walk a week has hundreds after a few years."""
    latest = Window(
        RowNumber(), partition_by=F("area_id"), order_by=[F("starts_at").desc(), F("id").desc()]
    )
    walks = user.walks.filter(area__in=areas).annotate(latest=latest)
    return list(walks.filter(latest__lte=HOME_WALKS + 1).order_by("-starts_at", "-id"))


def _open_findings(areas) -> dict[int, int]:
    """Problems whose follow-up is still open, per area, in one query. A safe place or a
    meeting place is recorded, not acted on: it is no one's task."""
    from walks.models import FollowUp, Observation  # walks builds on geo, not the other way

    rows = (
        Observation.objects.filter(
            walk__area__in=areas, follow_up=FollowUp.OPEN, kind__positive=False
        )
        .values("walk__area")
        .annotate(n=Count("pk"))
    )
    return {row["walk__area"]: row["n"] for row in rows}
