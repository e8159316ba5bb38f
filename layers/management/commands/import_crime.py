from layers.importers.base import FORMATS
from layers.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import recorded crime (police-uk, chicago, or a generic CSV / point layer). Prints "
        "'read: N, imported: N, duplicates: N, rejected: N, outside: N' per file."
    )
    kind = "crime"
    option_names = ("map", "timezone", "dataset", "precision")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument(
            "--map",
            help="generic: column map, e.g. lon=X,lat=Y,date=Date,category=Type[,id=…][,block=…]",
        )
        parser.add_argument("--timezone", help="zone of dates without offset (default TIME_ZONE)")
        parser.add_argument("--dataset", help="source dataset name stored with each incident")
        parser.add_argument("--precision", choices=["exact", "snapped", "block"])

    def format_of(self, options) -> str:
        return options["format"]
