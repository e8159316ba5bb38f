from layers.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "Import street lamps (points) from GeoJSON, GeoPackage or a zipped Shapefile."
    kind = "lamps"
    option_names = ("id_field", "status_field", "height_field", "lumen_field")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--id-field", dest="id_field")
        parser.add_argument("--status-field", dest="status_field")
        parser.add_argument("--height-field", dest="height_field")
        parser.add_argument("--lumen-field", dest="lumen_field")
