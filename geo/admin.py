from django.contrib.gis import admin

from geo.models import Area, AuditEntry, Block, Membership
from geo.services import data_version_bump


class VersionedAdmin:
    """A model admin whose changes mark the model's tile layers as changed, as the API and the
    imports do: tile and export ETags derive from the data versions, so a change that left
    them as they were would be answered with a 304 and the old data (docs/tiles.md). The admin
    runs each change in a transaction, and the bump joins it."""

    versioned_layers: tuple[str, ...] = ()

    def areas_of(self, objects) -> set[int]:
        """The ids of the areas `objects` (a queryset) belong to."""
        return set(objects.order_by().values_list("area", flat=True).distinct())

    def data_changed(self, area_ids: set[int]) -> None:
        for area_id in sorted(area_ids - {None}):
            data_version_bump(area=Area(pk=area_id), layers=self.versioned_layers)

    def _areas(self, *pks) -> set[int]:
        return self.areas_of(self.model.objects.filter(pk__in=pks))

    def save_model(self, request, obj, form, change):
        before = self._areas(obj.pk) if change else set()  # moved: both areas change
        super().save_model(request, obj, form, change)
        self.data_changed(before | self._areas(obj.pk))

    def delete_model(self, request, obj):
        areas = self._areas(obj.pk)
        super().delete_model(request, obj)
        self.data_changed(areas)

    def delete_queryset(self, request, queryset):
        areas = self.areas_of(queryset)
        super().delete_queryset(request, queryset)
        self.data_changed(areas)


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
class BlockAdmin(VersionedAdmin, admin.GISModelAdmin):
    """A block drawn, moved or deleted here changes which block each incident counts in, as a
    block import does (layers.assignment)."""

    list_display = ["code", "area", "population"]
    list_filter = ["area"]
    search_fields = ["code", "name"]
    versioned_layers = ("blocks",)

    def data_changed(self, area_ids: set[int]) -> None:
        from layers.assignment import crime_blocks_store

        for area in Area.objects.filter(pk__in=area_ids):
            crime_blocks_store(area=area)
        super().data_changed(area_ids)


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
