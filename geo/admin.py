from django.contrib.gis import admin

from geo.models import Area, Block, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Area)
class AreaAdmin(admin.GISModelAdmin):
    list_display = ["slug", "name", "analysis_srid", "published"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Block)
class BlockAdmin(admin.GISModelAdmin):
    list_display = ["code", "area", "population"]
    list_filter = ["area"]
    search_fields = ["code", "name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "area", "role"]
    list_filter = ["area", "role"]
    autocomplete_fields = ["user"]
