"""OGC API – Features, Part 1 Core with GeoJSON, under /ogc/.

Every area's layers that the user may see are collections named `{area}-{layer}`; what a
collection holds is exactly what the export of that layer holds for the same user (geo.access).
Authentication: token, session, or HTTP Basic (what QGIS's basic authentication sends).
"""

import json

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.authentication import (
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.throttling import ThrottledBasicAuthentication
from geo.access import Access, access_for, access_with_role
from geo.models import Area, Membership
from layers.exports import sql
from layers.exports.definitions import LAYERS, Layer
from layers.exports.filters import Filters, filters_from_query
from layers.exports.negotiation import AnswerAsNamed
from layers.exports.services import exact_crime_audit

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"
JSON = "application/json"
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
MAX_OFFSET = 2**62
ITEMS_PARAMS = {"limit", "offset", "bbox", "bbox-crs", "datetime", "f"}


def link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict:
    entry = {"href": href, "rel": rel, "type": type_}
    if title:
        entry["title"] = title
    return entry


class OgcView(APIView):
    authentication_classes = [
        TokenAuthentication,
        SessionAuthentication,
        ThrottledBasicAuthentication,
    ]
    permission_classes = [AllowAny]
    content_negotiation_class = AnswerAsNamed

    def url(self, path: str = "") -> str:
        return self.request.build_absolute_uri(reverse("ogc-landing") + path)

    def handle_exception(self, exc):
        # The OGC exception schema: a code and a description naming the parameter.
        if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
            description = "; ".join(
                f"{field}: {' '.join(str(m) for m in messages)}"
                for field, messages in exc.detail.items()
            )
            return JsonResponse(
                {"code": "InvalidParameterValue", "description": description}, status=400
            )
        if isinstance(exc, exceptions.APIException):
            code = "NotFound" if exc.status_code == 404 else type(exc).__name__
            response = JsonResponse(
                {"code": code, "description": str(exc.detail)}, status=exc.status_code
            )
            if exc.status_code == 401:
                response["WWW-Authenticate"] = 'Basic realm="trygg"'
            return response
        return super().handle_exception(exc)

    def check_format(self, allowed=("json", "application/json")):
        f = self.request.query_params.get("f")
        if f is not None and f not in allowed:
            raise exceptions.ValidationError(
                {"f": [_("Use one of %(values)s.") % {"values": ", ".join(allowed)}]}
            )


def _accesses(user) -> list[Access]:
    """Access to every area the user may see, with one query for all their roles."""
    areas = list(Area.objects.visible_to(user).order_by("slug"))
    roles = {}
    if user.is_authenticated and not user.is_superuser:
        roles = dict(Membership.objects.filter(user=user).values_list("area_id", "role"))
    return [
        access_with_role(area, roles.get(area.pk), is_superuser=user.is_superuser) for area in areas
    ]


def _collection(view: OgcView, access: Access, layer: Layer) -> dict:
    cid = f"{access.area.slug}-{layer.name}"
    base = view.url(f"collections/{cid}")
    body = {
        "id": cid,
        "title": f"{access.area.name}: {layer.title}",
        "description": layer.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(base, "self", title="This collection"),
            link(f"{base}/items", "items", GEOJSON, "Features as GeoJSON"),
        ],
    }
    if access.area.boundary is not None:
        body["extent"] = {"spatial": {"bbox": [list(access.area.boundary.extent)], "crs": CRS84}}
    return body


def _resolve(request, collection_id: str) -> tuple[Access, Layer]:
    slug, _, name = collection_id.rpartition("-")
    area = Area.objects.filter(slug=slug).first()
    layer = LAYERS.get(name)
    if area is not None and layer is not None:
        access = access_for(request.user, area)
        if access.can("view_area") and layer.visible_to(access):
            return access, layer
    raise exceptions.NotFound(f"No collection {collection_id!r}.")


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise exceptions.ValidationError({"limit": [_("Must be an integer.")]}) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise exceptions.ValidationError(
            {"limit": [_("Must be between 1 and %(max)s.") % {"max": MAX_LIMIT}]}
        )
    return limit


def _offset(raw: str | None) -> int:
    try:
        offset = int(raw or 0)
    except ValueError:
        raise exceptions.ValidationError({"offset": [_("Must be an integer.")]}) from None
    if offset < 0:
        raise exceptions.ValidationError({"offset": [_("Must not be negative.")]})
    if offset > MAX_OFFSET:  # beyond PostgreSQL's bigint: a 500 otherwise
        raise exceptions.ValidationError({"offset": [_("At most %(max)s.") % {"max": MAX_OFFSET}]})
    return offset


def _filters(request, access: Access, layer: Layer) -> Filters:
    allowed = set(ITEMS_PARAMS)
    if layer.uses_kind:
        allowed.add("kind")
    if layer.uses_category:
        allowed.add("category")
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise exceptions.ValidationError(
            {
                unknown[0]: [
                    f"Unknown parameter; this collection takes {', '.join(sorted(allowed))}."
                ]
            }
        )
    crs = request.query_params.get("bbox-crs")
    if crs not in (None, CRS84):  # the only CRS the collections declare
        raise exceptions.ValidationError(
            {"bbox-crs": [_("Only %(crs)s is supported.") % {"crs": CRS84}]}
        )
    filters = filters_from_query(request.query_params, area=access.area, ogc=True)
    if layer.temporal is None:
        # No time in this layer: `datetime` cannot select anything, so it is ignored.
        filters = Filters(kinds=filters.kinds, categories=filters.categories, bbox=filters.bbox)
    return filters


class Landing(OgcView):
    @extend_schema(
        operation_id="ogc_landing", summary="OGC API – Features landing page", responses={200: dict}
    )
    def get(self, request):
        self.check_format()
        return JsonResponse(
            {
                "title": "Trygg",
                "description": "Safety walks, recorded crime and perceived insecurity, block by "
                "block: every layer of the areas you may see.",
                "links": [
                    link(self.url(), "self", title="This document"),
                    link(
                        request.build_absolute_uri("/api/schema/?format=json"),
                        "service-desc",
                        "application/vnd.oai.openapi+json;version=3.0",
                        "The API definition",
                    ),
                    link(
                        request.build_absolute_uri("/api/docs/"),
                        "service-doc",
                        "text/html",
                        "The API documentation",
                    ),
                    link(self.url("conformance"), "conformance", title="Conformance classes"),
                    link(self.url("collections"), "data", title="The collections"),
                ],
            }
        )


class Conformance(OgcView):
    @extend_schema(
        operation_id="ogc_conformance", summary="OGC API conformance classes", responses={200: dict}
    )
    def get(self, request):
        self.check_format()
        return JsonResponse({"conformsTo": CONFORMANCE})


class Collections(OgcView):
    @extend_schema(
        operation_id="ogc_collections",
        summary="Collections: each area's layers you may see",
        responses={200: dict},
    )
    def get(self, request):
        self.check_format()
        collections = [
            _collection(self, access, layer)
            for access in _accesses(request.user)
            for layer in LAYERS.values()
            if access.can("view_area") and layer.visible_to(access)
        ]
        return JsonResponse(
            {
                "links": [link(self.url("collections"), "self", title="This document")],
                "collections": collections,
            }
        )


class Collection(OgcView):
    @extend_schema(operation_id="ogc_collection", summary="One collection", responses={200: dict})
    def get(self, request, collection_id):
        self.check_format()
        access, layer = _resolve(request, collection_id)
        return JsonResponse(_collection(self, access, layer))


def _geojson_response(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, content_type=GEOJSON, status=status)


class Items(OgcView):
    @extend_schema(
        operation_id="ogc_items",
        summary="Features of a collection (GeoJSON), paged",
        parameters=[
            OpenApiParameter("limit", int, description=f"1…{MAX_LIMIT}, default {DEFAULT_LIMIT}"),
            OpenApiParameter("offset", int, description="features to skip (follow `next`)"),
            OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat (CRS84)"),
            OpenApiParameter("datetime", str, description="RFC 3339 instant or interval a/b"),
            OpenApiParameter("kind", str, description="observations: kind codes"),
            OpenApiParameter("category", str, description="crime layers: categories"),
        ],
        responses={200: dict},
    )
    def get(self, request, collection_id):
        self.check_format(("json", "geojson", "application/json", GEOJSON))
        access, layer = _resolve(request, collection_id)
        limit = _limit(request.query_params.get("limit"))
        offset = _offset(request.query_params.get("offset"))
        qs = layer.queryset(access.area, _filters(request, access, layer), access)
        matched = sql.fetch_all(*sql.count_sql(qs))[0][0]
        features = [
            row[0] for row in sql.fetch_all(*sql.geojson_sql(layer, qs, limit=limit, offset=offset))
        ]
        exact_crime_audit(
            user=request.user,
            method=request.method,
            area=access.area,
            layer=layer,
            action="crime.read",
            via="ogc",
            query=request.query_params.dict(),
        )
        here = self.url(f"collections/{collection_id}/items")
        links = [
            link(request.build_absolute_uri(), "self", GEOJSON, "This page"),
            link(self.url(f"collections/{collection_id}"), "collection", title="The collection"),
        ]

        def page(at: int) -> str:
            query = request.query_params.copy()
            query["offset"], query["limit"] = str(at), str(limit)
            return f"{here}?{query.urlencode()}"

        if offset + len(features) < matched:
            links.append(link(page(offset + limit), "next", GEOJSON, "Next page"))
        if offset > 0:
            links.append(link(page(max(offset - limit, 0)), "prev", GEOJSON, "Previous page"))
        head = (
            '{"type": "FeatureCollection", '
            f'"numberMatched": {matched}, "numberReturned": {len(features)}, '
            f'"timeStamp": "{timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")}", '
            f'"links": {json.dumps(links)}, "features": ['
        )
        return _geojson_response(head + ",\n".join(features) + "]}")


class Item(OgcView):
    @extend_schema(operation_id="ogc_item", summary="One feature (GeoJSON)", responses={200: dict})
    def get(self, request, collection_id, feature_id):
        self.check_format(("json", "geojson", "application/json", GEOJSON))
        access, layer = _resolve(request, collection_id)
        qs = layer.queryset(access.area, Filters(), access)
        if layer.id_type == "int":
            if not feature_id.isdigit():
                raise exceptions.NotFound(f"No feature {feature_id!r} in {collection_id!r}.")
            qs = qs.filter(pk=int(feature_id))
        else:
            qs = qs.filter(code=feature_id)
        rows = sql.fetch_all(*sql.geojson_sql(layer, qs, limit=1))
        if not rows:
            raise exceptions.NotFound(f"No feature {feature_id!r} in {collection_id!r}.")
        feature = rows[0][0]
        exact_crime_audit(
            user=request.user,
            method=request.method,
            area=access.area,
            layer=layer,
            action="crime.read",
            via="ogc",
            feature=feature_id,
        )
        links = [
            link(request.build_absolute_uri(), "self", GEOJSON, "This feature"),
            link(self.url(f"collections/{collection_id}"), "collection", title="The collection"),
        ]
        # The feature comes from PostGIS as JSON text; its links go in before the last brace.
        body = feature[:-1] + f', "links": {json.dumps(links)}}}'
        return _geojson_response(body)
