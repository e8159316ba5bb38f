from django.contrib.gis import admin

from geo.admin import VersionedAdmin
from geo.models import Area
from geo.services import data_version_bump
from layers.assignment import crime_blocks_store
from layers.models import CrimeIncident, Lamp, SurveyResult


@admin.register(CrimeIncident)
class CrimeIncidentAdmin(admin.GISModelAdmin):
    """Changes here do what an import does: an incident added or moved is placed in its block
    by the exactly-once rule (layers.assignment), and the area's crime is marked as changed, so
    the crime tiles and exports count it and the counts kept under its crime version (the area
    list) and the tiles' ETags follow."""

    list_display = ["category", "month", "area", "precision", "source_dataset"]
    list_filter = ["area", "category", "precision"]
    readonly_fields = ["block"]

    def save_model(self, request, obj, form, change):
        moved_from = form.initial.get("area") if change else None  # an area's id, if any
        placed = not change or {"geom", "area"} & set(form.changed_data)
        if placed:
            obj.block = None
        super().save_model(request, obj, form, change)
        if placed:
            crime_blocks_store(area=obj.area, unassigned_only=True)
        for area_id in {obj.area_id, moved_from} - {None}:
            data_version_bump(area=Area(pk=area_id), layers=["crime"])

    def delete_model(self, request, obj):
        area = obj.area
        super().delete_model(request, obj)
        data_version_bump(area=area, layers=["crime"])

    def delete_queryset(self, request, queryset):
        area_ids = queryset.order_by().values_list("area", flat=True).distinct()
        areas = [Area(pk=pk) for pk in area_ids]
        super().delete_queryset(request, queryset)
        for area in areas:
            data_version_bump(area=area, layers=["crime"])


@admin.register(Lamp)
class LampAdmin(VersionedAdmin, admin.GISModelAdmin):
    versioned_layers = ("lamps",)
    list_display = ["id", "area", "status"]
    list_filter = ["area", "status"]


@admin.register(SurveyResult)
class SurveyResultAdmin(admin.ModelAdmin):
    list_display = ["block", "period", "respondents", "share_unsafe"]
