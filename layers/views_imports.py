"""Imports over the API (202 + a status URL; the work runs in the task worker), their undoing
(a crime import with its rows, a survey round), and the exact crime points analysts may read."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.access import access_for
from geo.bbox import parse_bbox
from geo.permissions import requires
from layers.analysis.results import analysis_shown
from layers.exports import sql
from layers.exports.definitions import LAYERS as EXPORT_LAYERS
from layers.exports.filters import Filters, parse_day
from layers.exports.services import exact_crime_audit
from layers.import_delete import import_delete, survey_round_delete, survey_rounds
from layers.importers.base import ImportRefused
from layers.jobs import job_orphan_end, job_stop, jobs_listed
from layers.models import AnalysisRun, ImportJob, SurveyResult
from layers.serializers import (
    AreaJobsSerializer,
    CrimeIncidentSerializer,
    ImportJobSerializer,
    ImportUploadSerializer,
    SurveyRoundSerializer,
)
from layers.services import import_submit

CRIME_POINTS_LIMIT = 50_000
# The first months first: a truncated answer holds whole months.
BY_MONTH = ("a_month", "a_fid")
# Room for the multipart envelope and the form fields beside the file itself.
MULTIPART_SLACK = 1024 * 1024


def upload_refusal(request, upload=None) -> str | None:
    """Why an upload is too large, if it is: the declared body before anything is read (so an
    oversized upload never fills the disk), then the file itself."""
    limit = settings.TRYGG_IMPORT_MAX_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit + MULTIPART_SLACK:
        return _("The upload is %(size)s bytes; the limit is %(limit)s.") % {
            "size": _bytes(int(declared)),
            "limit": _bytes(limit),
        }
    if upload is not None and upload.size > limit:
        return _("The file is %(size)s bytes; the limit is %(limit)s.") % {
            "size": _bytes(upload.size),
            "limit": _bytes(limit),
        }
    return None


def _bytes(count: int) -> str:
    """A byte count with the thousands grouped as the request's language groups them."""
    return number_format(count, use_l10n=True, force_grouping=True)


class ImportCreate(APIView):
    """Upload a file to import (kind crime|blocks|lamps|survey); answers 202 with a status URL.

    What to fill in besides the file:
    - police open data: `kind` crime, `format` police-uk (the street CSV as downloaded);
    - crime from any CSV: `kind` crime, `format` generic and `map` naming your columns, e.g.
      `lon=Longitude,lat=Latitude,date=Date,category=Type,id=Reference` (`srid` when the
      coordinates are not WGS 84 longitude and latitude);
    - blocks: `kind` blocks, a GeoJSON, GeoPackage or zipped Shapefile of polygons
      (`code_field` when the block code is not in a field called `code`);
    - street lamps: `kind` lamps; survey results: `kind` survey, a CSV per block.

    Leave the other fields empty. The answer's `status_url` gives the progress and then the
    report: counts, and the reason for each rejected row.
    """

    permission_classes = [requires("import")]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=ImportUploadSerializer,
        responses={202: ImportJobSerializer},
    )
    def post(self, request, slug):
        refusal = upload_refusal(request)  # before the body is read
        if refusal is None:
            request_data = ImportUploadSerializer(data=request.data)
            request_data.is_valid(raise_exception=True)
            data = request_data.validated_data
            upload = data["file"]
            refusal = upload_refusal(request, upload)
        if refusal:
            return Response({"file": [refusal]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        try:
            job = import_submit(
                area=self.access.area,
                user=request.user,
                upload=upload,
                kind=data["kind"],
                fmt=data.get("format") or "auto",
                raw=data,
            )
        except ImportRefused as refused:
            raise ValidationError({refused.field: [refused.message]}) from None
        status_url = request.build_absolute_uri(reverse("import-detail", kwargs={"pk": job.pk}))
        body = ImportJobSerializer(job).data | {"status_url": status_url}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": status_url})


def import_of(request, pk: int, *, orphan_end=True) -> ImportJob:
    """The import, for the analysts of its area: 404 if the area is hidden from the user, 403
    if they see the area but may not import into it. A running import whose worker died is read
    ended, unless `orphan_end` is False (a stop, which ends it stopped: layers.jobs.job_stop)."""
    job = get_object_or_404(ImportJob.objects.select_related("area"), pk=pk)
    access = access_for(request.user, job.area)
    if not access.can("view_area"):
        raise NotFound(_("No such import."))
    if not access.can("import"):
        raise PermissionDenied(_("Only analysts see imports."))
    return job_orphan_end(job) if orphan_end else job


class ImportDetail(generics.RetrieveAPIView):
    """Status and report of one import: progress, counts and the rejected rows' reasons;
    analysts delete a finished crime import with the rows it stored (the wrong file)."""

    serializer_class = ImportJobSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self):
        return import_of(self.request, self.kwargs["pk"])

    @extend_schema(
        summary="Delete a crime import with the rows it stored",
        responses={204: None, 409: OpenApiResponse(description="running, failed or not crime")},
    )
    def delete(self, request, pk):
        try:
            import_delete(job=self.get_object(), user=request.user)
        except DjangoValidationError as refused:
            return Response(refused.message_dict, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImportStop(APIView):
    """Stop a queued or running import (the wrong file): a queued one never starts, a running
    one stops at its next progress report and keeps nothing it read (one whose worker died
    ends stopped at once); audited."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Stop a queued or running import; nothing of it is kept",
        request=None,
        responses={
            202: ImportJobSerializer,
            409: OpenApiResponse(description="the import has ended already"),
        },
    )
    def post(self, request, pk):
        try:
            job = job_stop(job=import_of(request, pk, orphan_end=False), user=request.user)
        except DjangoValidationError as refused:
            return Response(refused.message_dict, status=status.HTTP_409_CONFLICT)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class AreaJobs(APIView):
    """The area's latest imports and analyses (20 of each, newest first) and where each stands:
    status, progress, `stalled`, `unclaimed`, and which analysis the map shows; for the analysts
    of the area. The data page follows its jobs with it, and sees those started elsewhere."""

    # 401 without a login, 404 for an area hidden from the user, 403 for its other roles.
    permission_classes = [IsAuthenticated, requires("import")]

    @extend_schema(responses={200: AreaJobsSerializer})
    def get(self, request, slug):
        area = self.access.area
        # The state only: an import's report (up to 1,000 rejected rows) is not read for it.
        imports = ImportJob.objects.filter(area=area).defer("rejected_rows", "notes", "options")
        runs = AnalysisRun.objects.filter(area=area).defer("figures", "timings", "parameters")
        jobs = {
            "imports": jobs_listed(imports),
            "analyses": jobs_listed(runs),
            # The page's note on it follows a run pinned or finished meanwhile.
            "on_the_map": analysis_shown(area, only=("id", "pinned")),
        }
        return Response(AreaJobsSerializer(jobs, context={"request": request}).data)


# The area's analysts, as for an import: 401 without a login, 404 for an area hidden from the
# user, 403 for the area's other roles.
SURVEY_PERMISSIONS = [IsAuthenticated, requires("import")]


class SurveyRounds(APIView):
    """The area's survey rounds: each period with the number of blocks that have results for
    it and their respondents, in period order."""

    permission_classes = SURVEY_PERMISSIONS

    @extend_schema(responses={200: SurveyRoundSerializer(many=True)})
    def get(self, request, slug):
        rounds = survey_rounds(area=self.access.area)
        return Response(SurveyRoundSerializer(rounds, many=True).data)


class SurveyRoundDetail(APIView):
    """Delete a survey round (the wrong survey file: another district's, the wrong round): the
    area's results of exactly this period, audited; block tiles and the next analysis follow at
    once, analyses already run keep their results."""

    permission_classes = SURVEY_PERMISSIONS

    @extend_schema(
        summary="Delete the area's survey results of one period",
        responses={204: None, 404: OpenApiResponse(description="no results for this period")},
    )
    def delete(self, request, slug, period):
        try:
            survey_round_delete(area=self.access.area, period=period, user=request.user)
        except SurveyResult.DoesNotExist:
            raise NotFound(no_survey_round(period)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


def no_survey_round(period: str) -> str:
    return _("The area has no survey results for period %(period)s.") % {"period": period}


class CrimePoints(generics.GenericAPIView):
    """Exact crime points as GeoJSON, for analysts only (everyone else: 403)."""

    permission_classes = [requires("view_crime_points")]
    serializer_class = CrimeIncidentSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat"),
            OpenApiParameter("from", str, description="first month, YYYY-MM or YYYY-MM-DD"),
            OpenApiParameter("to", str, description="last month, YYYY-MM or YYYY-MM-DD"),
        ]
    )
    def get(self, request, slug):
        params = request.query_params
        filters = Filters(
            start=parse_day(params["from"], "from", end=False) if params.get("from") else None,
            end=parse_day(params["to"], "to", end=True) if params.get("to") else None,
            bbox=parse_bbox(params.get("bbox")),
        )
        layer = EXPORT_LAYERS["crime"]
        incidents = layer.queryset(self.access.area, filters, self.access)
        # PostGIS writes the features, as for an export: DRF's serializer took 10 s for 50,000.
        features = [
            row[0]
            for row in sql.fetch_all(
                *sql.geojson_sql(layer, incidents, limit=CRIME_POINTS_LIMIT + 1, order=BY_MONTH)
            )
        ]
        exact_crime_audit(
            user=request.user,
            method=request.method,
            area=self.access.area,
            layer=layer,
            action="crime.read",
            via="api",
            query=params.dict(),
        )
        truncated = len(features) > CRIME_POINTS_LIMIT
        body = (
            '{"type": "FeatureCollection", "features": ['
            + ",\n".join(features[:CRIME_POINTS_LIMIT])
            + f'], "truncated": {json.dumps(truncated)}}}'
        )
        return HttpResponse(body, content_type="application/json")
