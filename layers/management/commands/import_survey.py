from layers.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import survey results from a CSV with block_code, period, respondents and "
        "share_unsafe (0–1) or unsafe (a count)."
    )
    kind = "survey"
