from django.core.management.base import BaseCommand, CommandError

from layers.media import media_orphans, media_prune


class Command(BaseCommand):
    help = (
        "Remove files under MEDIA_ROOT that no row refers to: rasters of deleted analyses,"
        " uploads of imports whose worker died, photos deleted in the admin. Safe to run"
        " daily; --dry-run lists them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list, remove nothing")
        parser.add_argument(
            "--min-age-hours",
            type=float,
            default=24.0,
            help="leave uploads and photos younger than this (default 24): one being stored"
            " has no row yet",
        )

    def handle(self, *args, dry_run, min_age_hours, **options):
        if not min_age_hours >= 0:  # also NaN
            raise CommandError(f"--min-age-hours must be 0 or more, got {min_age_hours}")
        orphans = media_orphans(older_than_s=min_age_hours * 3600)
        for orphan in orphans:
            self.stdout.write(f"{orphan.path} ({orphan.size:,} bytes)", style_func=None)
        if not dry_run:
            media_prune(orphans)
        verb = "would remove" if dry_run else "removed"
        total = sum(o.size for o in orphans)
        self.stdout.write(f"{verb} {len(orphans)} (files or folders), {total / 1e6:.1f} MB")
