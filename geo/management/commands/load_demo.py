from django.core.management.base import BaseCommand, CommandError

from fixtures.loader import DEMO_PASSWORD, DEMO_SLUG, DEMO_USERS, demo_load
from geo.models import Area


class Command(BaseCommand):
    help = "Load the demo neighbourhood (area slug 'demo'), replacing any earlier demo data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="1 ≈ 1,500 blocks and 30,000 incidents; 10 gives ten times that",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing when the demo area already exists"
        )
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--no-analysis",
            action="store_true",
            help="skip the hotspot run that gives the demo map its block classes",
        )

    def handle(self, *args, scale, seed, if_missing, no_progress, no_analysis, **options):
        if not 0.01 <= scale <= 50:
            raise CommandError("--scale must be between 0.01 and 50")
        if if_missing and Area.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write(
                "demo area already loaded (use load_demo without --if-missing to reload)"
            )
            return
        counts = demo_load(
            scale=scale, seed=seed, progress=not no_progress and options["verbosity"] > 0
        )
        self.stdout.write(
            "demo loaded: " + ", ".join(f"{name}: {count:,}" for name, count in counts.items())
        )
        if not no_analysis:
            from layers.analysis.runs import analysis_run

            # The map's block classes come from an analysis run, so the demo ships with one.
            run = analysis_run(area=Area.objects.get(slug=DEMO_SLUG), parameters={"seed": seed})
            self.stdout.write(f"hotspot run {run.pk}: {run.status}")
        self.stdout.write(f"logins (password {DEMO_PASSWORD}): " + ", ".join(DEMO_USERS))
