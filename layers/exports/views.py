"""File exports of an area's layers: GET /api/areas/{slug}/export/{layer}.{format}."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from geo.permissions import requires
from layers.exports.filters import filters_from_query
from layers.exports.negotiation import AnswerAsNamed
from layers.exports.services import exact_crime_audit, export_open, layer_for
from walks.models import FollowUp, Light


class LayerExport(APIView):
    """Download one layer as GeoJSON (RFC 7946), GeoPackage or DXF (the area's analysis CRS) or
    CSV with WKT, filtered like the map. Layers and what they contain depend on your role."""

    permission_classes = [requires("export")]
    content_negotiation_class = AnswerAsNamed

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="first day, YYYY-MM-DD or YYYY-MM"),
            OpenApiParameter("to", str, description="last day, YYYY-MM-DD or YYYY-MM"),
            OpenApiParameter("kind", str, description="observation kind codes, comma-separated"),
            OpenApiParameter("category", str, description="crime categories, comma-separated"),
            OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat"),
            OpenApiParameter(
                "light",
                str,
                enum=Light.values,
                description="walks, and observations and sightlines by their walk: "
                "day or night walks only",
            ),
            OpenApiParameter(
                "follow_up",
                str,
                many=True,
                explode=False,
                enum=FollowUp.values,
                description="observations and sightlines: follow-up states, comma-separated; "
                "matches only findings to act on (not safe or meeting places)",
            ),
            OpenApiParameter(
                "walk",
                int,
                many=True,
                explode=False,
                description="observations, sightlines and walks: walk ids, comma-separated "
                "(at most 50), each a walk of the area",
            ),
        ],
        responses={200: OpenApiTypes.BINARY},
        operation_id="api_areas_export_layer_retrieve",
    )
    def get(self, request, slug, layer, fmt):
        area = self.access.area
        chosen = layer_for(self.access, layer)
        export = export_open(
            area=area,
            layer=chosen,
            fmt=fmt,
            access=self.access,
            filters=filters_from_query(request.query_params, area=area),
        )
        exact_crime_audit(
            user=request.user,
            method=request.method,
            area=area,
            layer=chosen,
            action="crime.export",
            format=fmt,
            query=request.query_params.dict(),
        )
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
