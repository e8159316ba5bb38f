"""Django's system checks pass: `make run` migrates first, and a failed check stops it there
(a context processor renamed once broke the admin's check while every other test passed)."""

from django.core.management import call_command


def test_the_system_checks_pass():
    call_command("check", fail_level="WARNING")
