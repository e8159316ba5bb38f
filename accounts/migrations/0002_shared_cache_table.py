"""The table of the database cache the web workers share (settings.CACHES["shared"]: the login
throttle's counts). Only `manage.py createcachetable` made it, which `make run` and the tests
run but a deployment that migrates need not: every sign-in then failed with a 500. Made here,
`migrate` is all a new or upgraded database needs."""

from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps, schema_editor):
    # Creates only the tables missing, so a database that had it already is left as it is.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    # Back: the table stays (it holds only counts that expire; dropping it would fail sign-in).
    operations = [migrations.RunPython(cache_table_create, migrations.RunPython.noop)]
