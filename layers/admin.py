from django.contrib.gis import admin

from layers.models import CrimeIncident, Lamp, SurveyResult


@admin.register(CrimeIncident)
class CrimeIncidentAdmin(admin.GISModelAdmin):
    list_display = ["category", "month", "area", "precision", "source_dataset"]
    list_filter = ["area", "category", "precision"]


@admin.register(Lamp)
class LampAdmin(admin.GISModelAdmin):
    list_display = ["id", "area", "status"]
    list_filter = ["area", "status"]


@admin.register(SurveyResult)
class SurveyResultAdmin(admin.ModelAdmin):
    list_display = ["block", "period", "respondents", "share_unsafe"]
