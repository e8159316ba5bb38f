from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from layers.services import area_create


class Command(BaseCommand):
    help = "Create an area. Without --boundary it takes the union of the blocks imported into it."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--boundary", help="GeoJSON, GeoPackage or zipped Shapefile")
        parser.add_argument("--srid", type=int, help="EPSG code if the boundary file declares none")
        parser.add_argument(
            "--analysis-srid", type=int, help="metric CRS for analyses (default: the UTM zone)"
        )

    def handle(self, *args, slug, name, boundary, srid, analysis_srid, **options):
        try:
            area = area_create(
                slug=slug,
                name=name,
                boundary_path=boundary,
                srid=srid,
                analysis_srid=analysis_srid,
            )
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            ) from None
        self.stdout.write(f"created area {area.slug} ({area.name})")
