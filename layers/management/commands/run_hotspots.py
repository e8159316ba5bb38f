"""manage.py run_hotspots AREA [--from YYYY-MM --to YYYY-MM --categories … --variable …
--weights … --permutations 999 --seed 1 --fdr]: run and store a hotspot analysis."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo.models import Area
from layers.analysis.parameters import VARIABLES, WEIGHTS
from layers.analysis.runs import analysis_run
from layers.models import RunStatus


class Command(BaseCommand):
    help = "Run a hotspot analysis (recorded crime versus perceived insecurity) for an area."

    def add_arguments(self, parser):
        parser.add_argument("area", help="area slug")
        parser.add_argument("--from", dest="from", metavar="YYYY-MM")
        parser.add_argument("--to", dest="to", metavar="YYYY-MM")
        parser.add_argument("--categories", nargs="+", metavar="CATEGORY")
        parser.add_argument("--variable", choices=VARIABLES)
        parser.add_argument("--weights", choices=WEIGHTS)
        parser.add_argument("--distance", dest="distance_m", type=float, metavar="METRES")
        parser.add_argument("--k", type=int)
        parser.add_argument("--contiguity", dest="contiguity_m", type=float, metavar="METRES")
        parser.add_argument("--permutations", type=int)
        parser.add_argument("--seed", type=int)
        parser.add_argument("--fdr", action="store_true", default=None)
        parser.add_argument("--bandwidth", dest="bandwidth_m", type=float, metavar="METRES")
        parser.add_argument("--cell", dest="cell_m", type=float, metavar="METRES")

    def handle(self, *args, **options):
        area = Area.objects.filter(slug=options["area"]).first()
        if area is None:
            raise CommandError(f"No area with slug {options['area']!r}.")
        keys = (
            "from to categories variable weights distance_m k contiguity_m permutations seed fdr"
            " bandwidth_m cell_m"
        ).split()
        data = {key: options[key] for key in keys if options.get(key) is not None}
        bar = tqdm(total=100, unit="%", disable=options["verbosity"] == 0)

        def progress(stage: str, fraction: float):
            bar.set_description(stage)
            bar.update(round(fraction * 100) - bar.n)

        try:
            run = analysis_run(area=area, parameters=data, progress=progress)
        except ValidationError as error:
            raise CommandError(
                "; ".join(
                    f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()
                )
            ) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        finally:
            bar.close()
        if run.status == RunStatus.STOPPED:
            raise CommandError(f"Run {run.pk} was stopped by an analyst; nothing was stored.")
        figures = run.figures
        self.stdout.write(
            f"Run {run.pk} done: {figures['blocks']} blocks; incidents inside"
            f" {figures['incidents_inside']}, snapped {figures['incidents_snapped']}, unassigned"
            f" {figures['incidents_unassigned']}; Spearman's rho {figures['spearman_rho']},"
            f" Lee's L {figures['lee_l']}"
        )
        if options["verbosity"] > 1:
            self.stdout.write(json.dumps({"figures": figures, "timings": run.timings}, indent=2))
