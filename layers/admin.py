from django.contrib.gis import admin

from geo.models import Area
from geo.services import data_version_bump
from layers.models import CrimeIncident, Lamp, SurveyResult


@admin.register(CrimeIncident)
class CrimeIncidentAdmin(admin.GISModelAdmin):
    """Changes here mark the area's crime as changed, as an import does, so the counts kept
    under its crime version (the area list) and the crime tiles' ETags follow them."""

    list_display = ["category", "month", "area", "precision", "source_dataset"]
    list_filter = ["area", "category", "precision"]

    def save_model(self, request, obj, form, change):
        moved_from = form.initial.get("area") if change else None  # an area's id, if any
        super().save_model(request, obj, form, change)
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
class LampAdmin(admin.GISModelAdmin):
    list_display = ["id", "area", "status"]
    list_filter = ["area", "status"]


@admin.register(SurveyResult)
class SurveyResultAdmin(admin.ModelAdmin):
    list_display = ["block", "period", "respondents", "share_unsafe"]
