"""Crime incidents record the import that stored them, so an import can be deleted with its rows.

The column has no foreign-key constraint (see CrimeIncident.import_job) and is NULL for rows
stored before; its index is built on every area's partition. Deleted imports keep their job,
marked with who deleted it, when, and how many rows went. Jobs run before this migration say
`rows_recorded` false: their rows cannot be told from others', so they cannot be deleted.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0011_analysisrun_pinned'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='crimeincident',
            name='import_job',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='crime_incidents', to='layers.importjob'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='deleted_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='importjob',
            name='deleted_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='importjob',
            name='deleted_rows',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        # False for the jobs there are, True for every later one.
        migrations.AddField(
            model_name='importjob',
            name='rows_recorded',
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='rows_recorded',
            field=models.BooleanField(default=True),
        ),
    ]
