"""When a running job last reported progress, so the imports page can say a worker that stopped
reporting may be stuck (BackgroundJob.stalled). Jobs running now fall back to their start."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0013_job_stop'),
    ]

    operations = [
        migrations.AddField(
            model_name='analysisrun',
            name='progress_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='importjob',
            name='progress_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
