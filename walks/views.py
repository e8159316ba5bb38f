from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny

from geo.models import Area
from walks.models import ObservationKind
from walks.serializers import ObservationKindSerializer


class KindList(generics.ListAPIView):
    """The observation taxonomy: built-in kinds plus, with `?area=slug`, that area's own."""

    serializer_class = ObservationKindSerializer
    permission_classes = [AllowAny]
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("area", str, description="area slug")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        kinds = ObservationKind.objects.filter(area__isnull=True)
        slug = self.request.query_params.get("area")
        if slug:
            area = Area.objects.visible_to(self.request.user).filter(slug=slug).first()
            if area:
                kinds = ObservationKind.objects.filter(Q(area__isnull=True) | Q(area=area))
        return kinds.select_related("area")
