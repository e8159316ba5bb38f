from django import forms
from django.contrib.gis import admin
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext_lazy as _

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


class WalkAdminForm(forms.ModelForm):
    """The admin's change of a walk names the version it was opened at, as the planner page's
    If-Match does: a walk a planner changed meanwhile is not saved back over their change."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Walk
        fields = "__all__"  # noqa: DJ007 (the admin's own fields decide what it shows)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get("opened_version")
        if self.instance.pk and opened is not None:
            # The admin saves in the transaction this runs in: the lock holds until then.
            current = (
                Walk.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if current != opened:
                raise ValidationError(
                    _(
                        "Someone else changed this walk after you loaded it. Load it again, "
                        "then make your change."
                    )
                )
        return cleaned


@admin.register(Walk)
class WalkAdmin(VersionedAdmin, admin.GISModelAdmin):
    form = WalkAdminForm
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
