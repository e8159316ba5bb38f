from django.contrib.gis import admin
from django.db.models import F

from geo.admin import VersionedAdmin
from walks.models import Observation, ObservationKind, Photo, Walk


@admin.register(ObservationKind)
class ObservationKindAdmin(VersionedAdmin, admin.ModelAdmin):
    """A kind's code is what the observation tiles carry and the style draws by."""

    list_display = ["code", "label_en", "label_sv", "label_da", "positive", "area"]
    versioned_layers = ("observations",)

    def areas_of(self, objects) -> set[int]:
        # A built-in kind (no area) is in every area whose walks recorded it.
        used = Walk.objects.filter(observations__kind__in=objects).order_by()
        return super().areas_of(objects) | set(used.values_list("area", flat=True).distinct())


@admin.register(Walk)
class WalkAdmin(VersionedAdmin, admin.GISModelAdmin):
    versioned_layers = ("walks",)  # the observation tiles depend on the walks' version too
    list_display = ["name", "area", "starts_at", "light", "status"]
    list_filter = ["area", "status", "light"]
    filter_horizontal = ["participants"]

    def save_model(self, request, obj, form, change):
        # A change of the walk: a planner's page holding it is told before undoing it (ETag).
        if change:
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        obj.refresh_from_db(fields=["version"])


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    fields = ["image", "thumbnail", "width", "height"]
    readonly_fields = fields


@admin.register(Observation)
class ObservationAdmin(VersionedAdmin, admin.GISModelAdmin):
    versioned_layers = ("observations",)
    list_display = ["kind", "walk", "severity", "feeling", "captured_at"]
    list_filter = ["kind", "walk__area"]
    inlines = [PhotoInline]

    def areas_of(self, objects) -> set[int]:
        return set(objects.order_by().values_list("walk__area", flat=True).distinct())
