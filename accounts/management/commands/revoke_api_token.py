"""Revoke drafting-API tokens, for good.

    manage.py revoke_api_token <token or prefix>      one token
    manage.py revoke_api_token --user <username>      every active token of a user

A prefix (as printed when the token was issued) must name exactly one active token.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.tokens import api_token_revoke, api_tokens_matching


class Command(BaseCommand):
    help = "Revoke a drafting-API token (by the token or its prefix), or all tokens of a user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", nargs="?", default="", help="The token, or its printed prefix.")
        parser.add_argument("--user", help="Only this user's tokens; alone, all of them.")

    def handle(self, *args: Any, key: str, user: str | None, **options: Any) -> None:
        if not key and not user:
            raise CommandError("Name a token (or its prefix), or a user with --user.")
        owner = None
        if user:
            user_model = get_user_model()
            try:
                owner = user_model._default_manager.get_by_natural_key(user)
            except user_model.DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        tokens = list(api_tokens_matching(key=key, user=owner))
        if not tokens:
            raise CommandError("No active token matches.")
        if key and len(tokens) > 1:
            names = ", ".join(f"{t.prefix}… ({t.user})" for t in tokens)
            raise CommandError(f"{len(tokens)} active tokens match ({names}); give more of it.")
        for token in tokens:
            api_token_revoke(token=token)
            self.stdout.write(f"Revoked {token.prefix}… ({token.name!r}) of {token.user}.")
