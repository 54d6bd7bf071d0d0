"""`rapport createuser EMAIL --password P --workspace SLUG --role ROLE`."""

from django.core.management.base import BaseCommand, CommandError

from rapport.core.errors import FieldErrors
from rapport.core.models import Role
from rapport.core.services import create_member, get_or_create_workspace


class Command(BaseCommand):
    help = "Create a user (or reset their password) as a member of a workspace with a role; creates the workspace."
    requires_system_checks: list[str] = []  # start in well under a second; `rapport django check` checks

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--password", required=True)
        parser.add_argument("--workspace", required=True, help="workspace slug; created if it does not exist")
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args, email, password, workspace, role, **options):
        if "@" not in email:
            raise CommandError(f"{email!r} is not an email address")
        ws, created = get_or_create_workspace(slug=workspace)
        try:
            member = create_member(email=email, password=password, workspace=ws, role=role)
        except FieldErrors as exc:
            raise CommandError(str(exc)) from None
        what = "created workspace and user" if created else "user ready"
        self.stdout.write(f"{what}: {member.user.email} is {member.role} in {ws.slug}")
