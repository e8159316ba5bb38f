from django.contrib.gis import admin

from walks.models import Observation, ObservationKind, Photo, Walk


@admin.register(ObservationKind)
class ObservationKindAdmin(admin.ModelAdmin):
    list_display = ["code", "label_en", "label_sv", "label_da", "positive", "area"]


@admin.register(Walk)
class WalkAdmin(admin.GISModelAdmin):
    list_display = ["name", "area", "starts_at", "light", "status"]
    list_filter = ["area", "status", "light"]
    filter_horizontal = ["participants"]


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    fields = ["image", "thumbnail", "width", "height"]
    readonly_fields = fields


@admin.register(Observation)
class ObservationAdmin(admin.GISModelAdmin):
    list_display = ["kind", "walk", "severity", "feeling", "captured_at"]
    list_filter = ["kind", "walk__area"]
    inlines = [PhotoInline]
