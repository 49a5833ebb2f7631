from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from governance.accounts.models import Client, Team
from governance.accounts.services import api_key_issue, client_create, scopes_parse, team_create


class Command(BaseCommand):
    help = (
        "Create a routing client (and its team if needed) and issue it an API key. "
        "The key is printed alone on the last line, once; it cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--team", required=True, help="team slug; created if it does not exist")
        parser.add_argument("--name", required=True, help="client name, unique within the team")
        parser.add_argument(
            "--scopes",
            default="ingest,policy:read",
            help="comma-separated: ingest, policy:read, admin",
        )
        parser.add_argument("--key-name", default="", help="a label for the key")

    def handle(self, *args, team: str, name: str, scopes: str, key_name: str, **options):
        try:
            scope_list = scopes_parse(scopes=scopes.split(","))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        actor = "command:create_client"
        with transaction.atomic():
            team_obj = Team.objects.filter(slug=team).first() or team_create(slug=team, actor=actor)
            client = Client.objects.filter(team=team_obj, name=name).first()
            if client is None:
                client = client_create(team=team_obj, name=name, actor=actor)
            issued = api_key_issue(client=client, scopes=scope_list, name=key_name, actor=actor)
        # On stderr, so the key stays alone on stdout for `KEY=$(...)`; unstyled,
        # because Django paints stderr red and this is no error.
        self.stderr.write(
            f"Client {client} has a new key with scopes {', '.join(scope_list)}; store it now:",
            style_func=str,
        )
        self.stdout.write(issued.raw_key)
