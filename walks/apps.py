from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WalksConfig(AppConfig):
    name = "walks"

    def ready(self):
        from walks.taxonomy import builtin_kinds_ensure

        # The taxonomy is reference data: restore it after a flush as Django does for
        # content types, so a database is never without its kinds.
        post_migrate.connect(
            lambda sender, **kwargs: builtin_kinds_ensure(), sender=self, weak=False
        )
