"""API tokens: issued once and stored hashed, revocable, checked by hash lookup."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiToken
from accounts.roles import Role
from accounts.tokens import TOKEN_PREFIX, api_token_authenticate, api_token_issue, api_token_revoke
from tests.factories import make_user


def issue(username: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("issue_api_token", username, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def revoke(*args: str) -> str:
    out = StringIO()
    call_command("revoke_api_token", *args, stdout=out)
    return out.getvalue()


class TestIssueCommand:
    def test_prints_the_token_once_and_stores_only_its_hash(self, author: Any) -> None:
        """The command prints the token alone on stdout; the database keeps its SHA-256 only."""
        out, err = issue("author", "--name", "pipeline")
        secret = out.strip()
        token = ApiToken.objects.get()
        assert out.count(secret) == 1 and secret not in err
        assert secret.startswith(TOKEN_PREFIX) and len(secret) > 40
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in {token.name, token.prefix, token.token_hash}
        assert token.prefix == secret[:12] and token.name == "pipeline" and token.user == author

    def test_issues_a_different_token_each_time(self, author: Any) -> None:
        """Two tokens for one user are two secrets and two rows."""
        first, _ = issue("author")
        second, _ = issue("author")
        assert first != second and ApiToken.objects.count() == 2

    def test_refuses_an_unknown_user(self, db: Any) -> None:
        """An unknown username is a command error and no token."""
        with pytest.raises(CommandError, match="No user"):
            issue("nobody")
        assert not ApiToken.objects.exists()

    def test_refuses_an_inactive_user(self, db: Any) -> None:
        """Tokens are not issued to deactivated accounts."""
        make_user(Role.AUTHOR, username="gone", is_active=False)
        with pytest.raises(CommandError, match="active"):
            issue("gone")
        assert not ApiToken.objects.exists()


class TestRevokeCommand:
    def test_revoking_by_prefix_makes_the_token_unusable(self, author: Any) -> None:
        """The printed prefix names the token; once revoked it authenticates no one."""
        issued = api_token_issue(user=author)
        revoke(issued.token.prefix)
        assert api_token_authenticate(secret=issued.secret) is None
        assert ApiToken.objects.get().revoked_at is not None

    def test_revoking_by_the_whole_token(self, author: Any) -> None:
        """The whole secret names its token too."""
        issued = api_token_issue(user=author)
        other = api_token_issue(user=author)
        revoke(issued.secret)
        assert api_token_authenticate(secret=issued.secret) is None
        assert api_token_authenticate(secret=other.secret) is not None

    def test_revoking_a_user_revokes_all_their_tokens(self, author: Any, editor: Any) -> None:
        """--user alone revokes every active token of that user and nobody else's."""
        mine = [api_token_issue(user=author) for _ in range(2)]
        theirs = api_token_issue(user=editor)
        revoke("--user", "author")
        assert all(api_token_authenticate(secret=t.secret) is None for t in mine)
        assert api_token_authenticate(secret=theirs.secret) is not None

    def test_an_ambiguous_prefix_revokes_nothing(self, author: Any) -> None:
        """A prefix matching several tokens is refused rather than guessed."""
        issued = [api_token_issue(user=author) for _ in range(2)]
        with pytest.raises(CommandError, match="2 active tokens"):
            revoke(TOKEN_PREFIX)
        assert all(api_token_authenticate(secret=t.secret) is not None for t in issued)

    def test_an_unknown_token_is_an_error(self, db: Any) -> None:
        """Nothing matching is a command error, not silence."""
        with pytest.raises(CommandError, match="No active token"):
            revoke("edt_nothing")


class TestAuthenticate:
    def test_finds_the_token_and_its_user(self, author: Any) -> None:
        """A valid secret gives its token, with the user."""
        issued = api_token_issue(user=author)
        assert api_token_authenticate(secret=issued.secret).user == author

    @pytest.mark.parametrize("secret", ["", "edt_", "edt_unknown", "not-ours", "edt_" + "x" * 500])
    def test_unknown_or_malformed_secrets_are_refused(self, author: Any, secret: str) -> None:
        """Anything that is not an issued secret authenticates no one."""
        api_token_issue(user=author)
        assert api_token_authenticate(secret=secret) is None

    def test_a_deactivated_user_is_refused(self, author: Any) -> None:
        """Deactivating an account disables its tokens."""
        issued = api_token_issue(user=author)
        author.is_active = False
        author.save()
        assert api_token_authenticate(secret=issued.secret) is None

    def test_revoking_twice_keeps_the_first_time(self, author: Any) -> None:
        """Revocation is final and its time is not rewritten."""
        token = api_token_issue(user=author).token
        first = api_token_revoke(token=token).revoked_at
        assert api_token_revoke(token=token).revoked_at == first

    def test_last_use_is_recorded_at_most_once_a_minute(self, author: Any) -> None:
        """last_used_at is written on first use, then only once it is a minute old."""
        issued = api_token_issue(user=author)
        api_token_authenticate(secret=issued.secret)
        first = ApiToken.objects.get().last_used_at
        api_token_authenticate(secret=issued.secret)
        assert first is not None and ApiToken.objects.get().last_used_at == first
        ApiToken.objects.filter(pk=issued.token.pk).update(
            last_used_at=first - timedelta(minutes=2)
        )
        api_token_authenticate(secret=issued.secret)
        assert ApiToken.objects.get().last_used_at >= first
        assert timezone.now() - ApiToken.objects.get().last_used_at < timedelta(seconds=5)
