from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _area_partition(sender, instance, created, **kwargs):
    # Also for fixtures loaded raw: without its partition an area cannot hold crime.
    if created:
        from layers.partitions import crime_partition_ensure

        crime_partition_ensure(area_id=instance.pk)


def _area_partition_drop(sender, instance, **kwargs):
    from django.db import transaction

    from layers.partitions import crime_partition_drop

    # After the commit: the deleted incidents' deferred foreign-key checks forbid the DROP in
    # the deleting transaction.
    area_id = instance.pk
    transaction.on_commit(lambda: crime_partition_drop(area_id=area_id))


class LayersConfig(AppConfig):
    name = "layers"

    def ready(self):
        from layers.analysis.services import analysis_files_delete

        # Every area has its own crime partition (layers/partitions.py), from its creation to
        # its deletion (its incidents are deleted before it).
        post_save.connect(_area_partition, sender="geo.Area", dispatch_uid="layers_area_partition")
        post_delete.connect(
            _area_partition_drop, sender="geo.Area", dispatch_uid="layers_area_partition_drop"
        )
        # A run's rasters live in media/ and go with it, also when its area is deleted.
        post_delete.connect(
            analysis_files_delete,
            sender="layers.AnalysisRun",
            dispatch_uid="layers_analysis_files_delete",
        )
