"""Issue a drafting-API token: `manage.py issue_api_token <username> [--name NAME]`.

The token alone goes to stdout, so a script can capture it; everything said about it goes to
stderr. It is shown this once: only its hash is stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.tokens import api_token_issue


class Command(BaseCommand):
    help = "Issue a bearer token for the drafting API and print it once (only its hash is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="api", help="What will use the token (default: api).")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        try:
            issued = api_token_issue(user=user, name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(issued.secret)
        self.stderr.write(
            f"Issued token {issued.token.prefix}… ({issued.token.name!r}) for {username}. "
            "It is shown only this once; store it now. "
            f"Revoke it with: manage.py revoke_api_token {issued.token.prefix}"
        )
