"""Crime source keys compare byte by byte (COLLATE "C"), and the unique key leads with them.

Keys are only ever compared for equality, so the language's collation bought nothing; under it
a first load of 1,000,000 rows built the key's index in 2.4-3.7 s, in byte order 1.1-1.5 s
(docs/benchmarks.md). Within an area's partition every row has the same area, so the key goes
first. `ON CONFLICT (area_id, source_key)` finds the constraint in either column order.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0002_audit_entries'),
        ('layers', '0008_crime_without_category_index'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='crimeincident',
            name='crime_once_per_area',
        ),
        migrations.AlterField(
            model_name='crimeincident',
            name='source_key',
            field=models.CharField(db_collation='C', max_length=200),
        ),
        migrations.AddConstraint(
            model_name='crimeincident',
            constraint=models.UniqueConstraint(fields=('source_key', 'area'), name='crime_once_per_area'),
        ),
    ]
