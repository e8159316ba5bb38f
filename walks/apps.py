from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate


def _kinds_restore(sender, apps=None, **kwargs):
    from walks.models import ObservationKind
    from walks.taxonomy import builtin_kinds_ensure

    # After a migration back (`migrate walks zero`, or to before a column of the kinds existed)
    # the table is not the model's, and seeding it failed the downgrade; the kinds are seeded
    # again by the migrate forward that brings the table back.
    try:
        migrated = apps.get_model("walks", "ObservationKind") if apps else ObservationKind
    except LookupError:
        return
    columns = {field.column for field in migrated._meta.concrete_fields}
    if columns >= {field.column for field in ObservationKind._meta.concrete_fields}:
        builtin_kinds_ensure()


class WalksConfig(AppConfig):
    name = "walks"

    def ready(self):
        # The taxonomy is reference data: restore it after a flush as Django does for
        # content types, so a database is never without its kinds.
        post_migrate.connect(_kinds_restore, sender=self, dispatch_uid="walks_kinds_restore")
        from walks.services import photo_files_delete

        post_delete.connect(
            photo_files_delete, sender="walks.Photo", dispatch_uid="walks_photo_files_delete"
        )
