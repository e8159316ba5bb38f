import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import APIException
from tqdm import tqdm

from geo.access import ALL_CAPABILITIES, Access, access_for
from geo.models import Area
from layers.exports.definitions import LAYERS
from layers.exports.filters import filters_from_query
from layers.exports.services import exact_crime_audit, export_open, layer_for
from layers.exports.writers import FORMATS


class Command(BaseCommand):
    help = (
        "Export one layer of an area as GeoJSON, GeoPackage, CSV or DXF. Without --user the "
        "export holds everything (this is the operator's command); with --user it holds what "
        "that user may see, exactly as the web export."
    )

    def add_arguments(self, parser):
        parser.add_argument("area", help="area slug")
        parser.add_argument("layer", choices=sorted(LAYERS))
        parser.add_argument("--format", dest="fmt", choices=sorted(FORMATS), default="geojson")
        parser.add_argument(
            "-o",
            "--output",
            help="file or directory (default: the file name "
            "the web export would give, in the current directory); - for stdout",
        )
        parser.add_argument("--user", help="export as this user sees it")
        parser.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD or YYYY-MM")
        parser.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD or YYYY-MM")
        parser.add_argument("--kind", help="observation kinds, comma-separated")
        parser.add_argument("--category", help="crime categories, comma-separated")
        parser.add_argument("--light", choices=["day", "night"], help="walks of the day or night")
        parser.add_argument(
            "--follow-up", help="observations: open, reported, fixed, no_action (comma-separated)"
        )
        parser.add_argument(
            "--walk", help="observations, sightlines, walks: walk ids (comma-separated)"
        )

    def handle(self, *args, area, layer, fmt, output, user, **options):
        area_obj = Area.objects.filter(slug=area).first()
        if area_obj is None:
            raise CommandError(f"No area with slug {area!r}.")
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"No user named {user!r}.")
            access = access_for(account, area_obj)
        else:
            access = Access(area_obj, None, frozenset(ALL_CAPABILITIES), is_superuser=True)
        params = {
            "from": options["date_from"],
            "to": options["date_to"],
            "kind": options["kind"],
            "category": options["category"],
            "light": options["light"],
            "follow_up": options["follow_up"],
            "walk": options["walk"],
        }
        bar = tqdm(
            unit=" features", disable=output == "-" or options["verbosity"] == 0, file=sys.stderr
        )
        written = 0

        def progress(n):
            nonlocal written
            written += n
            bar.update(n)

        try:
            chosen = layer_for(access, layer)
            export = export_open(
                area=area_obj,
                layer=chosen,
                fmt=fmt,
                access=access,
                filters=filters_from_query({k: v for k, v in params.items() if v}, area=area_obj),
                progress=progress,
            )
            target = self.write(export, output)
        except APIException as error:
            detail = error.detail
            if isinstance(detail, dict):
                detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in detail.items())
            raise CommandError(str(detail)) from None
        finally:
            bar.close()
        if user:
            # Without --user this is the operator's own export from the server, not a user's
            # read, so it is not audited.
            exact_crime_audit(
                user=account,
                area=area_obj,
                layer=chosen,
                action="crime.export",
                format=fmt,
                via="export_layer",
                query={k: v for k, v in params.items() if v},
            )
        self.stderr.write(f"Wrote {written} features to {target}")

    def write(self, export, output: str | None) -> str:
        if output == "-":
            for chunk in export.chunks:
                sys.stdout.buffer.write(chunk)
            return "standard output"
        target = Path(output or ".")
        if target.is_dir():
            target = target / export.filename
        with target.open("wb") as handle:
            for chunk in export.chunks:
                handle.write(chunk)
        return str(target)
