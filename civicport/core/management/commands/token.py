"""`civicport token create --user USERNAME`: print a new API token once."""

from django.core.management.base import BaseCommand, CommandError

from civicport.core.auth import api_token_create, find_user


class Command(BaseCommand):
    help = "Manage API tokens. The token is printed once and stored only as a hash."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for a user")
        create.add_argument("--user", required=True, help="username, phone or e-mail")
        create.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, action, **options):
        user = find_user(options["user"])
        if user is None or not user.is_active:
            raise CommandError(f"no active user {options['user']!r}")
        _, token = api_token_create(user=user, name=options["name"])
        self.stdout.write(token)
