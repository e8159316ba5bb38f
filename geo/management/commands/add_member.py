from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from geo.models import Area, Role
from geo.services import membership_set


class Command(BaseCommand):
    help = "Give a user a role in an area (replacing any role they had there)."

    def add_arguments(self, parser):
        parser.add_argument("area", help="area slug")
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--create", action="store_true", help="create the user if missing")
        parser.add_argument("--password", help="password for a created user")

    def handle(self, *args, area, username, role, create, password, **options):
        try:
            area_obj = Area.objects.get(slug=area)
        except Area.DoesNotExist:
            raise CommandError(f"No area with slug {area!r}.") from None
        try:
            membership = membership_set(
                area=area_obj, username=username, role=role, create=create, password=password
            )
        except ValidationError as error:
            problems = error.message_dict
            if "username" in problems and not create:
                problems["username"].append("Use --create --password P to create the user.")
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items())
            ) from None
        self.stdout.write(f"{membership.user.username} is {membership.role} in {area_obj.slug}")
