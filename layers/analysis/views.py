"""Analysis API: start a run (analysts), read its summary, per-block results and rasters."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.access import Access, access_for
from geo.geojson import feature, feature_collection
from geo.permissions import requires
from layers.analysis.results import analysis_shown, block_properties, block_results
from layers.analysis.serializers import AnalysisRequestSerializer, AnalysisSummarySerializer
from layers.analysis.services import (
    RASTER_NAMES,
    analysis_delete,
    analysis_pin,
    analysis_queue,
    analysis_unpin,
)
from layers.jobs import job_orphan_end, job_stop
from layers.models import AnalysisRun, RunStatus


def run_access(request, run_id: int, *, orphan_end=True) -> tuple[AnalysisRun, Access]:
    """The run and the user's access to its area: 404 if the area is hidden from them, 403 if
    they may see the area but not its layers. A running run whose worker died is read ended,
    unless `orphan_end` is False (a stop, which ends it stopped: layers.jobs.job_stop)."""
    run = get_object_or_404(AnalysisRun.objects.select_related("area"), pk=run_id)
    access = access_for(request.user, run.area)
    if not access.can("view_area"):
        raise NotFound(_("No such analysis."))
    if not access.can("view_layers"):
        raise PermissionDenied(_("Your role in this area does not allow this."))
    return (job_orphan_end(run) if orphan_end else run), access


def run_summary(request, run: AnalysisRun) -> dict:
    rasters = {}
    # The GeoTIFFs are for analysts (AnalysisRasterDownload); others have the map's tiles.
    if run.status == RunStatus.DONE and access_for(request.user, run.area).sees_crime_points:
        rasters = {
            raster.name: request.build_absolute_uri(
                reverse("analysis-raster", args=[run.pk, raster.name])
            )
            for raster in run.rasters.all()
        }
    return {
        "id": run.pk,
        "area": run.area.slug,
        "status": run.status,
        "progress": run.progress,
        "progress_at": run.progress_at,
        "stalled": run.stalled,
        "unclaimed": run.unclaimed,
        "parameters": run.parameters,
        "seed": run.seed,
        "data_fingerprint": run.data_fingerprint,
        "figures": run.figures,
        "timings": run.timings,
        "error": run.error,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "stop_requested_at": run.stop_requested_at,
        "pinned": run.pinned,
        "shown": run.status == RunStatus.DONE and analysis_shown(run.area) == run,
        "blocks": request.build_absolute_uri(reverse("analysis-blocks", args=[run.pk])),
        "rasters": rasters,
    }


class AnalysisCreate(APIView):
    """Start a hotspot analysis of the area; it runs in the background worker."""

    permission_classes = [requires("analyse")]

    @extend_schema(
        request=AnalysisRequestSerializer,
        responses={202: AnalysisSummarySerializer},
        # What the docs page puts in its editor: without them it offers made-up values
        # ("string", 0) that the API refuses.
        examples=[
            OpenApiExample("All recorded crime, default parameters", value={}, request_only=True),
            OpenApiExample(
                "One year of burglary and robbery",
                value={"from": "2025-01", "to": "2025-12", "categories": ["burglary", "robbery"]},
                request_only=True,
            ),
        ],
    )
    def post(self, request, slug):
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": _("Expected a JSON object of parameters.")})
        run = analysis_queue(area=self.access.area, data=dict(request.data), user=request.user)
        url = request.build_absolute_uri(reverse("analysis-detail", args=[run.pk]))
        body = run_summary(request, run) | {"url": url}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


class AnalysisDetail(APIView):
    """Status, progress, parameters, area-wide figures and raster links of a run; analysts
    delete a run started by mistake (the map falls back to the previous one)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=AnalysisSummarySerializer)
    def get(self, request, pk):
        run, _access = run_access(request, pk)
        return Response(run_summary(request, run))

    @extend_schema(summary="Delete an analysis run with its results", responses={204: None})
    def delete(self, request, pk):
        run, access = run_access(request, pk)
        if not access.can("analyse"):
            raise PermissionDenied(_("Only analysts delete analyses."))
        try:
            analysis_delete(run=run, user=request.user)
        except DjangoValidationError as invalid:
            return Response(invalid.message_dict, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnalysisPin(APIView):
    """Analysts choose the run everyone's map shows (POST), or let it follow the latest finished
    run again (DELETE)."""

    permission_classes = [AllowAny]

    def _run(self, request, pk) -> AnalysisRun:
        run, access = run_access(request, pk)
        if not access.can("analyse"):
            raise PermissionDenied(_("Only analysts choose the analysis the map shows."))
        return run

    @extend_schema(
        summary="Show this run on the area's map until another is chosen",
        request=None,
        responses={200: AnalysisSummarySerializer, 409: OpenApiResponse(description="not done")},
    )
    def post(self, request, pk):
        run = self._run(request, pk)
        try:
            analysis_pin(run=run, user=request.user)
        except DjangoValidationError as invalid:
            return Response(invalid.message_dict, status=status.HTTP_409_CONFLICT)
        return Response(run_summary(request, run))

    @extend_schema(
        summary="Unpin this run: the map follows the latest finished run again",
        responses={204: None},
    )
    def delete(self, request, pk):
        run = self._run(request, pk)
        if run.pinned:
            analysis_unpin(area=run.area, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnalysisStop(APIView):
    """Stop a queued or running run (the wrong period): a queued one never starts, a running
    one stops after its current stage and stores no results or rasters; audited."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Stop a queued or running analysis; nothing of it is stored",
        request=None,
        responses={
            202: AnalysisSummarySerializer,
            409: OpenApiResponse(description="the analysis has ended already"),
        },
    )
    def post(self, request, pk):
        run, access = run_access(request, pk, orphan_end=False)
        if not access.can("analyse"):
            raise PermissionDenied(_("Only analysts stop analyses."))
        try:
            run = job_stop(job=run, user=request.user)
        except DjangoValidationError as invalid:
            return Response(invalid.message_dict, status=status.HTTP_409_CONFLICT)
        return Response(run_summary(request, run), status=status.HTTP_202_ACCEPTED)


class AnalysisBlocks(APIView):
    """Per-block results as GeoJSON; crime aggregates below the threshold are null for
    non-analysts."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            (200, "application/geo+json"): OpenApiTypes.OBJECT,
            409: OpenApiResponse(description="the run is not done yet"),
        }
    )
    def get(self, request, pk):
        run, access = run_access(request, pk)
        if run.status != RunStatus.DONE:
            return Response(
                {"detail": f"The analysis is {run.status}; results exist once it is done."},
                status=status.HTTP_409_CONFLICT,
            )
        body = feature_collection(
            feature(row["block_id"], row["geometry"], block_properties(row))
            for row in block_results(run, access)
        )
        return HttpResponse(body, content_type="application/geo+json")


class AnalysisRasterDownload(APIView):
    """A run's raster as a Cloud-Optimized GeoTIFF."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={(200, "image/tiff"): OpenApiTypes.BINARY},
        operation_id="api_analyses_rasters_retrieve",
    )
    def get(self, request, pk, name):
        run, access = run_access(request, pk)
        if name not in RASTER_NAMES:
            raise Http404(_("No such raster."))
        if not access.sees_crime_points:
            # The float surfaces give back each incident's and finding's place and count
            # (tiles/raster.py density_floor); others see them as map tiles, thinned.
            raise PermissionDenied(_("The analysis rasters are for analysts; the map shows them."))
        raster = run.rasters.filter(name=name).first()
        if raster is None:
            raise Http404(_("The run has no such raster (yet)."))
        try:
            # Opened, the file is sent whole even if the run is deleted meanwhile (a removed
            # file lives on while open); one removed after the row was read is a 404.
            opened = (Path(settings.MEDIA_ROOT) / raster.path).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise Http404(_("The raster file is missing.")) from None
        return FileResponse(
            opened,
            content_type="image/tiff",
            as_attachment=True,
            filename=f"analysis-{run.pk}-{name}.tif",
        )
