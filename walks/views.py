import re
import time

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import PagesWhenAsked, search_parameter, searched
from geo.geojson import as_drf_writes, json_list
from geo.models import Area
from geo.permissions import AreaCapability
from walks import listing, services
from walks.access import (
    correction_of,
    deletion_of,
    photo_removal_of,
    sees_all_walks,
    walk_access,
)
from walks.models import Observation, ObservationKind, Photo, Walk
from walks.photos import MAX_BYTES
from walks.serializers import (
    CorrectionSerializer,
    FollowUpSerializer,
    ObservationKindSerializer,
    ObservationSerializer,
    PhotoSerializer,
    SyncRequestSerializer,
    SyncResponseSerializer,
    WalkSerializer,
    photo_urls,
    walk_etag,
    walk_versions_held,
)

# Empty means no area: the built-in kinds only.
AREA_SLUG = re.compile(r"^[-a-zA-Z0-9_]*$")


class KindList(generics.ListAPIView):
    """The observation taxonomy: built-in kinds plus, with `?area=slug`, that area's own."""

    serializer_class = ObservationKindSerializer
    permission_classes = [AllowAny]
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("area", str, description="area slug", pattern=AREA_SLUG.pattern)
        ]
    )
    def get(self, request, *args, **kwargs):
        if not AREA_SLUG.fullmatch(request.query_params.get("area", "")):
            raise ValidationError({"area": ["Must be an area slug (letters, digits, - and _)."]})
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        kinds = ObservationKind.objects.filter(area__isnull=True)
        slug = self.request.query_params.get("area")
        if slug:
            area = Area.objects.visible_to(self.request.user).filter(slug=slug).first()
            if area:
                kinds = ObservationKind.objects.of_area(area)
        return kinds.select_related("area")


def walks_with_counts(queryset):
    """Walks with their observation counts, latest first. The count groups the rows, and Django
    leaves Meta.ordering out of a grouped query: the order must be asked for."""
    return (
        queryset.select_related("area")
        .prefetch_related("participants")
        .annotate(observation_count=Count("observations"))
        .order_by(*listing.LATEST_FIRST)
    )


def _walk_fields(data) -> tuple[dict, list | None]:
    """A walk serializer's data split for the services: (fields, participants' usernames)."""
    fields = dict(data)
    participants = fields.pop("participants", None)
    return fields, participants


class WalkChangedMeanwhile(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "Someone else changed this walk after you loaded it. Load it again, then make your change."
    )
    default_code = "walk_changed"


# The walk's version (walks.serializers.walk_etag), in the schema of the answers that give it
# and of the changes that may name it.
ETAG_HEADER = OpenApiParameter(
    "ETag",
    str,
    location=OpenApiParameter.HEADER,
    response=[200, 201, 412],
    description="the walk's version (the same as its `etag` field; on a 412, the version it"
    " has now); it changes with every change of the walk, not with its findings",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="the walk's ETag as you read it (or `*`): a walk changed since then is left"
    " as it is and answers 412; without it the change is made whatever the version",
)
STALE = OpenApiResponse(
    description="the walk changed since the ETag sent in If-Match; the answer's `ETag` is its"
    " version now"
)


def _versioned(response: Response, walk: Walk) -> Response:
    response["ETag"] = walk_etag(walk)
    return response


def _changed_meanwhile(changed: services.WalkChanged) -> Response:
    """412 with the walk's current ETag: a client sees which version it met (and may send
    that one, or read the walk first) without another GET to learn it."""
    refusal = WalkChangedMeanwhile()
    return _versioned(
        Response({"detail": refusal.detail}, status=refusal.status_code), changed.walk
    )


@extend_schema_view(
    get=extend_schema(summary="Walks of an area", parameters=[search_parameter("name")]),
    post=extend_schema(summary="Plan a walk (coordinators and planners)", parameters=[ETAG_HEADER]),
)
class WalkList(generics.ListCreateAPIView):
    """Walks of an area, latest first. Planners and coordinators see and create all;
    participants see the walks they belong to. `?q=` finds walks by name; `?limit=` answers
    page by page (an area walked twice a week has hundreds)."""

    serializer_class = WalkSerializer
    permission_classes = [IsAuthenticated, AreaCapability]
    pagination_class = PagesWhenAsked

    def _walks(self):
        """The walks of the area this user sees, by `?q=`."""
        walks = searched(self.request, self.access.area.walks.all(), "name")
        if not sees_all_walks(self.access):
            walks = walks.filter(participants=self.request.user)
        return walks

    def get_queryset(self):
        return walks_with_counts(self._walks())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        access = getattr(self, "access", None)
        context["show_names"] = bool(access and access.can("plan_walks"))
        return context

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "json":
            return super().list(request, *args, **kwargs)  # the browsable API: the serializer's
        # The serializer's JSON, written around PostGIS's text (walks.listing), in a fifth of the
        # time or less for hundreds of walks (docs/benchmarks.md).
        rows = listing.walk_rows(self._walks(), names=self.get_serializer_context()["show_names"])
        page = self.paginate_queryset(rows)
        walks = json_list(
            listing.walks_json(
                rows if page is None else page,
                area_slug=self.access.area.slug,
                user_id=request.user.pk,
            )
        )
        if page is not None:
            walks = self.paginator.page_written(walks)
        return HttpResponse(as_drf_writes(walks), content_type="application/json")

    def create(self, request, *args, **kwargs):
        if not self.access.can("plan_walks"):
            raise PermissionDenied(_("Only coordinators and planners plan walks."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields, participants = _walk_fields(serializer.validated_data)
        walk = services.walk_create(
            area=self.access.area, participants=participants or [], **fields
        )
        walk = walks_with_counts(Walk.objects.filter(pk=walk.pk)).get()
        return _versioned(
            Response(self.get_serializer(walk).data, status=status.HTTP_201_CREATED), walk
        )


class WalkDetail(APIView):
    """One walk; coordinators and planners change it (route, times, participants, status).
    Its `ETag` is its version: a change that sends it back as `If-Match` is refused (412) if
    someone else changed the walk meanwhile, instead of undoing their change."""

    permission_classes = [IsAuthenticated]

    def _context(self, request, access):
        return {"request": request, "show_names": access.can("plan_walks")}

    @extend_schema(summary="One walk", responses=WalkSerializer, parameters=[ETAG_HEADER])
    def get(self, request, pk):
        walk, access = walk_access(request.user, pk)
        walk = walks_with_counts(Walk.objects.filter(pk=walk.pk)).get()
        data = WalkSerializer(walk, context=self._context(request, access)).data
        return _versioned(Response(data), walk)

    @extend_schema(
        summary="Delete a walk without findings, planned by mistake (coordinators and planners)",
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={
            204: None,
            409: OpenApiResponse(description="the walk has findings: it is kept"),
            412: STALE,
        },
    )
    def delete(self, request, pk):
        walk, access = walk_access(request.user, pk)
        if not access.can("plan_walks"):
            raise PermissionDenied(_("Only coordinators and planners delete walks."))
        versions = walk_versions_held(request.headers.get("If-Match"), walk)
        try:
            services.walk_delete(walk=walk, versions=versions)
        except services.WalkChanged as changed:
            return _changed_meanwhile(changed)
        except DjangoValidationError as refusal:
            return Response(refusal.message_dict, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Change a walk: route, times, participants, status (coordinators and planners)",
        request=WalkSerializer,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={200: WalkSerializer, 412: STALE},
    )
    def patch(self, request, pk):
        walk, access = walk_access(request.user, pk)
        if not access.can("plan_walks"):
            raise PermissionDenied(_("Only coordinators and planners change walks."))
        context = self._context(request, access)
        serializer = WalkSerializer(walk, data=request.data, partial=True, context=context)
        serializer.is_valid(raise_exception=True)
        fields, participants = _walk_fields(serializer.validated_data)
        versions = walk_versions_held(request.headers.get("If-Match"), walk)
        try:
            services.walk_update(walk=walk, versions=versions, participants=participants, **fields)
        except services.WalkChanged as changed:
            return _changed_meanwhile(changed)
        walk = walks_with_counts(Walk.objects.filter(pk=walk.pk)).get()
        return _versioned(Response(WalkSerializer(walk, context=context).data), walk)


class ObservationSync(APIView):
    """Idempotent batch upload from the capture app: one result per item, in order.

    Body: `{"observations": [...], "sent_at": "…"}` (or the bare list), at most 500 items, each
    `{client_id, kind, geometry, severity, feeling, note, captured_at, accuracy_m}`. `sent_at`,
    optional, is the tablet's clock as it sends: a tablet whose clock is wrong by more than a
    minute has every captured_at moved by that difference.
    Result status: `created` (with `id`), `duplicate` (the stored `id`; nothing changed) or
    `rejected` (with `errors` per field). The `Server-Timing` header gives the server's time.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(request=SyncRequestSerializer, responses=SyncResponseSerializer)
    def post(self, request, pk):
        started = time.perf_counter()
        walk, _access = walk_access(request.user, pk, capture=True)
        items = request.data.get("observations") if isinstance(request.data, dict) else None
        items = request.data if isinstance(request.data, list) else items
        sent_at = request.data.get("sent_at") if isinstance(request.data, dict) else None
        results = services.observations_sync(
            walk=walk, author=request.user, items=items, sent_at=sent_at
        )
        counts = {name: 0 for name in ("created", "duplicate", "rejected")}
        for result in results:
            counts[result.status] += 1
        response = Response(
            {"results": [r.as_dict() for r in results], **counts, "walk_open": walk.is_open}
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = f"sync;dur={elapsed_ms:.1f}"
        return response


class ObservationList(generics.ListAPIView):
    """The observations of a walk as a GeoJSON FeatureCollection."""

    serializer_class = ObservationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None

    def get_queryset(self):
        walk, _access = walk_access(self.request.user, self.kwargs["pk"])
        return walk.observations.select_related("kind").prefetch_related("photos")


class PhotoUpload(APIView):
    """Attach a photo (multipart field `image`: JPEG, PNG or WebP, at most 15 MB) to an
    observation. It is stored re-encoded without EXIF; the same bytes again give the stored
    photo (200) instead of a copy."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"image": {"type": "string", "format": "binary"}},
                "required": ["image"],
            }
        },
        responses={201: PhotoSerializer, 200: PhotoSerializer},
    )
    def post(self, request, pk):
        observation = Observation.objects.select_related("walk__area").filter(pk=pk).first()
        if observation is None:
            raise Http404(_("No such observation."))
        _walk, access = walk_access(
            request.user,
            observation.walk_id,
            capture=True,
            unseen="No such observation.",
            # Its author knows it is of the walk: a former participant's tablet is told so.
            known=observation.author_id == request.user.pk,
        )
        if observation.author_id != request.user.pk and not access.is_superuser:
            # A photo shows what its finding's author saw; a fellow participant adding one (a
            # face, a number plate) would put it under another resident's name.
            raise PermissionDenied(_("Only the finding's author adds photos to it."))
        # The declared body first: a photo of 1 GB is refused before it is written to disk.
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > MAX_BYTES + MULTIPART_SLACK:
            return _photo_too_large(int(declared))
        upload = request.FILES.get("image")
        if upload is None:
            return Response(
                {"image": [_("Send the photo as the multipart field 'image'.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if upload.size > MAX_BYTES:
            return _photo_too_large(upload.size)
        photo, created = services.photo_store(observation=observation, upload=upload)
        return Response(
            photo_urls(photo), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


# Room for the multipart envelope around a photo of at most MAX_BYTES.
MULTIPART_SLACK = 64 * 1024


def _photo_too_large(size: int) -> Response:
    return Response(
        {
            "image": [
                _("The photo is %(mb)s MB; at most 15 MB is accepted.")
                % {"mb": number_format(size / 1024 / 1024, 1)}
            ]
        },
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


class PhotoFile(APIView):
    """A stored photo or its thumbnail, for those who may see its walk (never public media)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request, pk, variant):
        photo = Photo.objects.select_related("observation").filter(pk=pk).first()
        if photo is None:
            raise Http404(_("No such photo."))
        walk_access(request.user, photo.observation.walk_id, unseen="No such photo.")
        field = photo.image if variant == "image" else photo.thumbnail
        response = FileResponse(field.open("rb"))
        # Revalidated on every view: a photo a coordinator deletes, or one a user who logged
        # out may no longer see, must not be shown from the browser's cache for a day.
        response["Cache-Control"] = "private, no-cache"
        return response


class ObservationDetail(APIView):
    """Coordinators and planners record a finding's follow-up. Coordinators delete a finding
    with its photos (a note naming someone, a test entry); its author may withdraw it while the
    walk is open. The audit log records either."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Record a finding's follow-up: open, reported, fixed or no action",
        request=FollowUpSerializer,
        examples=[
            OpenApiExample(
                "Reported",
                value={"follow_up": "reported", "note": "Sent to the housing company"},
                request_only=True,
            )
        ],
        responses=ObservationSerializer,
    )
    def patch(self, request, pk):
        observation = get_object_or_404(Observation.objects.select_related("walk__area"), pk=pk)
        _walk, access = walk_access(
            request.user, observation.walk_id, unseen="No such observation."
        )
        if not access.can("plan_walks"):
            raise PermissionDenied(_("Only coordinators and planners follow findings up."))
        data = FollowUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.observation_follow_up_set(
            observation=observation, user=request.user, **data.validated_data
        )
        return Response(ObservationSerializer(observation, context={"request": request}).data)

    @extend_schema(summary="Delete a finding with its photos", responses={204: None})
    def delete(self, request, pk):
        observation = get_object_or_404(
            Observation.objects.select_related("walk__area", "kind"), pk=pk
        )
        return observation_deleted(request.user, observation)


class ObservationByClientId(APIView):
    """The capture app corrects or withdraws its participant's own finding by the id the tablet
    gave it, which it knows even when the finding went out in a sync whose answer never came
    back. A retried withdrawal of a finding already gone gets 404, as does one that never
    arrived; a retried correction answers as the first did and changes nothing more."""

    permission_classes = [IsAuthenticated]

    def _finding(self, pk, client_id) -> Observation:
        return get_object_or_404(
            Observation.objects.select_related("walk__area", "kind"),
            walk_id=pk,
            client_id=client_id,
        )

    @extend_schema(
        summary="Correct a finding by its client_id: kind, geometry, severity, feeling, note",
        description="Its author while the walk is open (409 once it is done), coordinators at"
        " any time. Any of the fields, checked as the sync checks them: a bad one (400) changes"
        " nothing. When and where it was captured stay, and so does its follow-up.",
        request=CorrectionSerializer,
        examples=[
            OpenApiExample(
                "Another kind, a pin moved",
                value={
                    "kind": "poor_lighting",
                    "geometry": {"type": "Point", "coordinates": [13.0052, 55.6049]},
                },
                request_only=True,
            )
        ],
        responses={200: ObservationSerializer, 400: None, 403: None, 404: None, 409: None},
    )
    def patch(self, request, pk, client_id):
        observation = self._finding(pk, client_id)
        action = correction_of(request.user, observation)
        services.observation_correct(
            observation=observation, user=request.user, changes=request.data, action=action
        )
        return Response(ObservationSerializer(observation, context={"request": request}).data)

    @extend_schema(summary="Withdraw a finding by its client_id", responses={204: None})
    def delete(self, request, pk, client_id):
        return observation_deleted(request.user, self._finding(pk, client_id))


def observation_deleted(user, observation) -> Response:
    action = deletion_of(user, observation)
    services.observation_delete(observation=observation, user=user, action=action)
    return Response(status=status.HTTP_204_NO_CONTENT)


class PhotoDetail(APIView):
    """Coordinators delete one photo of a finding (a face, a number plate); the finding's author
    removes one of its photos while the walk is open (the wrong one). Audited either way."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        photo = Photo.objects.select_related("observation__walk__area").filter(pk=pk).first()
        if photo is None:
            raise Http404(_("No such photo."))
        action = photo_removal_of(request.user, photo)
        services.photo_delete(photo=photo, user=request.user, action=action)
        return Response(status=status.HTTP_204_NO_CONTENT)
