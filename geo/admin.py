from django.contrib.gis import admin

from geo.models import Area, AuditEntry, Block, Membership


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


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "area", "action"]
    list_filter = ["action", "area"]
    readonly_fields = ["at", "user", "username", "area", "action", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
