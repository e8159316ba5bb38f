"""OGC API – Features, Part 1 Core with GeoJSON, under /ogc/.

Every area's layers that the user may see are collections named `{area}-{layer}`; what a
collection holds is exactly what the export of that layer holds for the same user (geo.access).
Authentication: token, session, or HTTP Basic (what QGIS's basic authentication sends).
"""

import json
from dataclasses import dataclass

from django.core import signing
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
ITEMS_PARAMS = {"limit", "offset", "cursor", "bbox", "bbox-crs", "datetime", "f"}


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

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Its titles and descriptions are English whatever the site's language (a GIS client
        # shows them beside other services'); only refusals follow the request's language, and
        # the locale middleware names that one for them.
        if response.status_code < 400:
            response["Content-Language"] = "en"
        return response

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
    slug, name = collection_id.rpartition("-")[::2]
    area = Area.objects.filter(slug=slug).first()
    layer = LAYERS.get(name)
    if area is not None and layer is not None:
        access = access_for(request.user, area)
        if access.can("view_area") and layer.visible_to(access):
            return access, layer
    raise exceptions.NotFound(_("No collection %(id)r.") % {"id": collection_id})


def _no_feature(feature_id: str, collection_id: str) -> exceptions.NotFound:
    return exceptions.NotFound(
        _("No feature %(feature)r in %(collection)r.")
        % {"feature": feature_id, "collection": collection_id}
    )


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


@dataclass(frozen=True)
class Cursor:
    """Where a page of a collection starts: after the feature with id `key`, or, for a `prev`
    page, before it. Features are in id order (the layer's unique, indexed key), so a page is a
    range scan of that index however deep it lies, and rows added or removed meanwhile neither
    repeat nor skip a feature, as they would with an offset."""

    key: int | str
    before: bool = False

    def token(self, collection_id: str) -> str:
        side = "before" if self.before else "after"
        return signing.Signer(salt=_cursor_salt(collection_id)).sign_object({side: self.key})


def _cursor_salt(collection_id: str) -> str:
    # Per collection: a cursor taken from one collection is refused by every other one.
    return f"layers.exports.ogc.cursor:{collection_id}"


def _cursor(raw: str | None, collection_id: str, layer: Layer) -> Cursor | None:
    """The page's cursor: only what `next` and `prev` links carry, checked by its signature,
    so a key of another type or beyond the database's integers never reaches a statement."""
    if raw is None:
        return None
    refused = exceptions.ValidationError(
        {"cursor": [_("Not a cursor of this collection: follow the next and prev links as given.")]}
    )
    try:
        value = signing.Signer(salt=_cursor_salt(collection_id)).unsign_object(raw)
    except (signing.BadSignature, ValueError):
        raise refused from None
    if not isinstance(value, dict) or len(value) != 1:
        raise refused
    ((side, key),) = value.items()
    key_type = int if layer.id_type == "int" else str
    if side not in ("after", "before") or type(key) is not key_type:
        raise refused
    if key_type is int and not -(2**63) <= key < 2**63:
        raise refused
    return Cursor(key, before=side == "before")


def _page(
    layer: Layer, qs, *, limit: int, offset: int, cursor: Cursor | None
) -> tuple[list[tuple[str, int | str]], bool]:
    """The page's features (JSON text, id) in id order, and whether more lie beyond it in the
    direction it was read: one feature more than the page is read to tell, instead of counting
    the collection. A `prev` page is read backwards from its cursor and turned round."""
    order = ("a_fid",)
    if cursor is not None:
        if cursor.before:
            qs, order = qs.filter(a_fid__lt=cursor.key), ("-a_fid",)
        else:
            qs = qs.filter(a_fid__gt=cursor.key)
    rows = sql.fetch_all(
        *sql.geojson_sql(layer, qs, limit=limit + 1, offset=offset, order=order, with_fid=True)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    if cursor is not None and cursor.before:
        rows.reverse()
    return rows, more


def _paging_links(
    request,
    here: str,
    collection_id: str,
    *,
    rows: list,
    more: bool,
    limit: int,
    offset: int,
    cursor: Cursor | None,
) -> list[dict]:
    """`next` and `prev` of a page: a cursor after its last feature and before its first, where
    there are features beyond them; `prev` of a page by offset stays an offset."""

    def page(name: str | None = None, value: str = "") -> str:
        # This page's query with the limit it was read with and `name` where it started (none:
        # the first page).
        query = request.query_params.copy()
        query.pop("offset", None)
        query.pop("cursor", None)
        query["limit"] = str(limit)
        if name:
            query[name] = value
        return f"{here}?{query.urlencode()}"

    links = []
    backwards = cursor is not None and cursor.before
    if cursor is not None and not rows:
        # The features beyond the cursor were deleted after it was handed out: lead back to
        # those left rather than leave the client with no link at all.
        if backwards:  # none before it: the first page starts at the first feature left
            links.append(link(page(), "next", GEOJSON, "Next page"))
        else:
            before = Cursor(cursor.key, before=True).token(collection_id)
            links.append(link(page("cursor", before), "prev", GEOJSON, "Previous page"))
        return links
    if rows and (more or backwards):
        after = Cursor(rows[-1][1]).token(collection_id)
        links.append(link(page("cursor", after), "next", GEOJSON, "Next page"))
    if cursor is None and offset > 0:
        prev = page("offset", str(max(offset - limit, 0)))
        links.append(link(prev, "prev", GEOJSON, "Previous page"))
    elif rows and cursor is not None and (more or not backwards):
        before = Cursor(rows[0][1], before=True).token(collection_id)
        links.append(link(page("cursor", before), "prev", GEOJSON, "Previous page"))
    return links


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
            OpenApiParameter(
                "cursor", str, description="where the page starts: follow `next` and `prev`"
            ),
            OpenApiParameter("offset", int, description="features to skip (instead of a cursor)"),
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
        cursor = _cursor(request.query_params.get("cursor"), collection_id, layer)
        if cursor is not None and "offset" in request.query_params:
            raise exceptions.ValidationError(
                {"offset": [_("Give either offset or cursor, not both.")]}
            )
        qs = layer.queryset(access.area, _filters(request, access, layer), access)
        rows, more = _page(layer, qs, limit=limit, offset=offset, cursor=cursor)
        exact_crime_audit(
            user=request.user,
            method=request.method,
            area=access.area,
            layer=layer,
            action="crime.read",
            via="ogc",
            query=request.query_params.dict(),
        )
        links = [
            link(request.build_absolute_uri(), "self", GEOJSON, "This page"),
            link(self.url(f"collections/{collection_id}"), "collection", title="The collection"),
            *_paging_links(
                request,
                self.url(f"collections/{collection_id}/items"),
                collection_id,
                rows=rows,
                more=more,
                limit=limit,
                offset=offset,
                cursor=cursor,
            ),
        ]
        # Counting the whole filtered collection costs as much as a scan of it (30 ms for the
        # demo's 300,000 crime points), so only a page asked for without a cursor (the first,
        # or one by offset) says how many match; the standard lets the others leave it out.
        matched = ""
        if cursor is None:
            matched = f'"numberMatched": {sql.fetch_all(*sql.count_sql(qs))[0][0]}, '
        head = (
            '{"type": "FeatureCollection", '
            f'{matched}"numberReturned": {len(rows)}, '
            f'"timeStamp": "{timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")}", '
            f'"links": {json.dumps(links)}, "features": ['
        )
        return _geojson_response(head + ",\n".join(row[0] for row in rows) + "]}")


class Item(OgcView):
    @extend_schema(operation_id="ogc_item", summary="One feature (GeoJSON)", responses={200: dict})
    def get(self, request, collection_id, feature_id):
        self.check_format(("json", "geojson", "application/json", GEOJSON))
        access, layer = _resolve(request, collection_id)
        qs = layer.queryset(access.area, Filters(), access)
        if layer.id_type == "int":
            if not feature_id.isdigit():
                raise _no_feature(feature_id, collection_id)
            qs = qs.filter(pk=int(feature_id))
        else:
            qs = qs.filter(code=feature_id)
        rows = sql.fetch_all(*sql.geojson_sql(layer, qs, limit=1))
        if not rows:
            raise _no_feature(feature_id, collection_id)
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
