from layers.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import blocks from GeoJSON, GeoPackage or a zipped Shapefile. An area without a "
        "boundary (or whose boundary is the union of its blocks) takes the union of its blocks."
    )
    kind = "blocks"
    option_names = ("code_field", "name_field", "population_field")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--code-field", dest="code_field", help="field with the block code")
        parser.add_argument("--name-field", dest="name_field")
        parser.add_argument("--population-field", dest="population_field")
