from django.db import migrations


def seed(apps, schema_editor):
    from walks.taxonomy import BUILTIN_KINDS

    Kind = apps.get_model("walks", "ObservationKind")
    for order, (code, en, sv, da, geometry_types, positive) in enumerate(BUILTIN_KINDS):
        Kind.objects.update_or_create(
            code=code,
            area=None,
            defaults=dict(
                label_en=en,
                label_sv=sv,
                label_da=da,
                geometry_types=geometry_types,
                positive=positive,
                sort_order=order,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("walks", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
