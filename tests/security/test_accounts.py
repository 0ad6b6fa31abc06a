"""Accounts: lockout after failed sign-ins, unlocking in the admin, password rules, session length,
and the TOTP second factor for medical reviewers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.security import SESSION_DEADLINE_KEY, SessionStore, client_address
from reviews.models import LoginFailure, LoginLockout
from reviews.services.errors import WorkflowError
from tests.factories import PASSWORD, make_article, make_reference, make_user, submit_and_review

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str, *, address: str = "203.0.113.7") -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client: Client, username: str, times: int, *, address: str = "203.0.113.7") -> Any:
    response = None
    for _ in range(times):
        response = sign_in(client, username, "wrong password", address=address)
    return response


class TestLockout:
    def test_five_failures_lock_the_account_and_the_page_says_for_how_long(
        self, client: Client, editor: Any
    ) -> None:
        """The fifth failure within 15 minutes locks the account; the page names the duration."""
        response = fail(client, "editor", 4)
        assert response.status_code == 200
        assert "did not match" in response.content.decode()
        response = fail(client, "editor", 1)
        assert response.status_code == 429
        page = response.content.decode()
        assert "locked for 15 more minutes" in page
        assert "An administrator can unlock it sooner." in page
        lock = LoginLockout.objects.get(scope=LoginLockout.Scope.ACCOUNT, key="editor")
        assert lock.failures == 5 and lock.active
        assert timedelta(minutes=14) < lock.locked_until - timezone.now() <= timedelta(minutes=15)

    def test_a_locked_account_refuses_even_the_right_password_from_anywhere(
        self, client: Client, editor: Any
    ) -> None:
        """A lock on the account holds from another address too, and the password is not checked."""
        fail(client, "editor", 5)
        response = sign_in(client, "editor", PASSWORD, address="198.51.100.20")
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        assert "locked for" in response.content.decode()
        # Refused attempts are not failures of their own: they do not feed the next lock.
        assert LoginFailure.objects.filter(username="editor").count() == 5

    def test_the_address_is_locked_too_whatever_username_it_tries(
        self, client: Client, editor: Any, author: Any
    ) -> None:
        """Five failures from one address over several usernames lock that address."""
        for name in ("alice", "bob", "carol", "dave", "erin"):
            fail(client, name, 1, address="192.0.2.50")
        lock = LoginLockout.objects.get(scope=LoginLockout.Scope.ADDRESS)
        assert lock.key == "192.0.2.50" and lock.failures == 5
        response = sign_in(client, "author", PASSWORD, address="192.0.2.50")
        assert response.status_code == 429
        assert "this network address" in response.content.decode()
        # The same account from another address signs in: only the address was locked.
        assert sign_in(client, "author", PASSWORD, address="192.0.2.51").status_code == 302

    def test_unknown_usernames_lock_like_real_ones(self, client: Client) -> None:
        """A lock does not reveal whether an account exists."""
        response = fail(client, "nobody-here", 5, address="192.0.2.60")
        assert response.status_code == 429
        assert LoginLockout.objects.filter(
            scope=LoginLockout.Scope.ACCOUNT, key="nobody-here"
        ).exists()

    def test_case_variants_share_one_count(self, client: Client, editor: Any) -> None:
        """`Editor`, `EDITOR` and `editor` are counted as one username."""
        for number, name in enumerate(("Editor", "EDITOR", "editor", "eDitor", "EdItOr"), start=1):
            fail(client, name, 1, address=f"192.0.2.{number}")
        assert LoginLockout.objects.filter(scope=LoginLockout.Scope.ACCOUNT, key="editor").exists()

    def test_failures_older_than_the_window_do_not_count(self, client: Client, editor: Any) -> None:
        """Four old failures and one new one are not five within 15 minutes."""
        old = timezone.now() - timedelta(minutes=16)
        LoginFailure.objects.bulk_create(
            [
                LoginFailure(username="editor", address="203.0.113.7", attempted_at=old)
                for _ in range(4)
            ]
        )
        assert fail(client, "editor", 1).status_code == 200
        assert not LoginLockout.objects.exists()

    def test_a_successful_sign_in_starts_the_count_afresh(
        self, client: Client, editor: Any
    ) -> None:
        """Four failures, a success, four more: no lock (the count starts at the last sign-in)."""
        fail(client, "editor", 4)
        assert sign_in(client, "editor", PASSWORD).status_code == 302
        client.logout()
        fail(client, "editor", 4, address="203.0.113.8")
        assert not LoginLockout.objects.filter(scope=LoginLockout.Scope.ACCOUNT).exists()

    def test_the_lock_expires_and_its_failures_are_not_counted_again(
        self, client: Client, editor: Any
    ) -> None:
        """After the lock runs out the right password works; one more failure does not relock."""
        fail(client, "editor", 5)
        LoginLockout.objects.all().update(
            locked_at=timezone.now() - timedelta(minutes=16),
            locked_until=timezone.now() - timedelta(minutes=1),
        )
        LoginFailure.objects.all().update(attempted_at=timezone.now() - timedelta(minutes=17))
        assert fail(client, "editor", 1).status_code == 200
        assert sign_in(client, "editor", PASSWORD).status_code == 302

    @override_settings(
        EDITORIAL_LOGIN_MAX_FAILURES=3,
        EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS=3,
        EDITORIAL_LOGIN_LOCKOUT_MINUTES=60,
    )
    def test_the_limit_and_the_duration_are_settings(self, client: Client, editor: Any) -> None:
        """EDITORIAL_LOGIN_MAX_FAILURES and EDITORIAL_LOGIN_LOCKOUT_MINUTES are honoured."""
        response = fail(client, "editor", 3)
        assert response.status_code == 429
        assert "locked for 60 more minutes" in response.content.decode()

    def test_the_admin_sign_in_page_is_locked_too(self, client: Client, admin_user: Any) -> None:
        """The admin's own login form cannot be used to keep guessing."""
        for _ in range(5):
            client.post(
                "/admin/login/",
                {"username": "admin", "password": "nope"},
                REMOTE_ADDR="203.0.113.9",
            )
        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": "admin", "password": "password"},
            REMOTE_ADDR="203.0.113.9",
        )
        assert response.status_code == 200
        assert "locked for" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_the_backend_refuses_a_locked_account_whoever_asks(
        self, client: Client, editor: Any
    ) -> None:
        """authenticate() itself answers None while locked, whatever form or API calls it."""
        fail(client, "editor", 5)
        assert authenticate(None, username="editor", password=PASSWORD) is None


class TestUnlock:
    def test_an_admin_unlocks_with_the_admin_action(
        self, client: Client, editor: Any, admin_user: Any
    ) -> None:
        """The "unlock" action lifts the lock at once and records who lifted it."""
        locked = Client()
        fail(locked, "editor", 5)
        lock = LoginLockout.objects.get(scope=LoginLockout.Scope.ACCOUNT)
        client.force_login(admin_user)
        changelist = client.get("/admin/reviews/loginlockout/")
        assert "Unlock the selected accounts or addresses now" in changelist.content.decode()
        response = client.post(
            "/admin/reviews/loginlockout/",
            {"action": "unlock", "_selected_action": [lock.pk]},
            follow=True,
        )
        assert "1 lock(s) lifted." in response.content.decode()
        lock.refresh_from_db()
        assert not lock.active and lock.unlocked_by == admin_user
        # The address is locked as well (the same five failures): lift that one too, then sign in.
        client.post(
            "/admin/reviews/loginlockout/",
            {
                "action": "unlock",
                "_selected_action": list(LoginLockout.objects.values_list("pk", flat=True)),
            },
        )
        assert sign_in(locked, "editor", PASSWORD).status_code == 302

    def test_after_an_unlock_one_more_failure_does_not_relock(
        self, client: Client, editor: Any, admin_user: Any
    ) -> None:
        """The failures behind a lifted lock are spent; the next lock needs five new ones."""
        fail(client, "editor", 5)
        LoginLockout.objects.update(unlocked_at=timezone.now())
        assert fail(client, "editor", 1).status_code == 200

    def test_lockouts_cannot_be_added_or_edited_in_the_admin(
        self, client: Client, admin_user: Any
    ) -> None:
        """Locks come from failed sign-ins; the admin only lifts them."""
        client.force_login(admin_user)
        assert client.get("/admin/reviews/loginlockout/add/").status_code == 403


class TestClientAddress:
    def test_without_proxies_x_forwarded_for_is_ignored(self, rf: Any) -> None:
        """A client cannot choose its address by sending X-Forwarded-For."""
        request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
        assert client_address(request) == "10.0.0.1"

    @override_settings(EDITORIAL_TRUSTED_PROXY_COUNT=1)
    def test_behind_one_proxy_the_last_forwarded_hop_is_the_client(self, rf: Any) -> None:
        """Entries left of the proxy's own are the client's inventions and are not believed."""
        request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
        assert client_address(request) == "198.51.100.4"

    def test_a_malformed_address_is_none(self, rf: Any) -> None:
        """An address that is not an IP address is not recorded (the account is still counted)."""
        assert client_address(rf.get("/", REMOTE_ADDR="not-an-ip")) is None


class TestSigningPassword:
    def test_wrong_signing_passwords_count_towards_the_lockout(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Five wrong passwords at the signing step lock the reviewer's account like five at sign-in."""
        article = submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        client = Client()
        client.force_login(reviewer)
        url = f"/workspace/articles/{article.slug}/actions/approve/"
        for _ in range(5):
            response = client.post(url, {"password": "wrong", "content_hash": article.content_hash})
            assert response.status_code == 422
        assert LoginLockout.objects.filter(key="reviewer").exists()

    def test_a_wrong_signing_password_is_refused(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A wrong signing password signs nothing."""
        from reviews.services.transitions import transition_apply

        article = submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )
        with pytest.raises(WorkflowError) as refused:
            transition_apply(
                article=article,
                user=reviewer,
                action="approve",
                password="wrong",
                params={"content_hash": article.content_hash},
            )
        assert refused.value.code == "reauth"


class TestPasswords:
    def test_password_validators_are_configured(self) -> None:
        """Django's password validators are switched on."""
        assert settings.AUTH_PASSWORD_VALIDATORS

    @pytest.mark.parametrize("weak", ["password", "12345678901", "short1!", "editorial1"])
    def test_weak_passwords_are_refused(self, weak: str) -> None:
        """Common, numeric, short and user-like passwords fail Django's validators."""
        user = make_user(username="editorial")
        with pytest.raises(ValidationError):
            validate_password(weak, user=user)

    def test_a_long_uncommon_passphrase_passes(self) -> None:
        """The validators do not refuse a sensible passphrase."""
        validate_password("brisk-otter-lantern-97", user=make_user())


class TestSessionLength:
    def test_editorial_roles_get_a_browser_session_capped_at_eight_hours(
        self, client: Client, editor: Any
    ) -> None:
        """An editor's session cookie ends with the browser; the server ends it 8 hours after sign-in."""
        response = sign_in(client, "editor", PASSWORD)
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie["max-age"] == "" and cookie["expires"] == ""
        session = client.session
        assert session.get_expire_at_browser_close()
        assert session.get_expiry_age() == 8 * 3600
        stored = Session.objects.get(session_key=session.session_key)
        assert (
            timedelta(hours=7, minutes=59)
            < stored.expire_date - timezone.now()
            <= timedelta(hours=8)
        )

    def test_the_cap_holds_even_if_the_browser_keeps_the_cookie(
        self, client: Client, reviewer: Any
    ) -> None:
        """Past the deadline the session is empty: the reviewer is signed out and sent to sign in."""
        sign_in(client, "reviewer", PASSWORD)
        assert client.get("/workspace/").status_code == 200
        store = SessionStore(client.session.session_key)
        store[SESSION_DEADLINE_KEY] = (timezone.now() - timedelta(seconds=1)).isoformat()
        store.save()
        response = client.get("/workspace/")
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)

    def test_other_accounts_keep_the_site_wide_session_age(
        self, client: Client, admin_user: Any
    ) -> None:
        """An administrator without an editorial role keeps SESSION_COOKIE_AGE."""
        sign_in(client, "admin", "password")
        session = client.session
        assert not session.get_expire_at_browser_close()
        assert session.get_expiry_age() == settings.SESSION_COOKIE_AGE
        assert SESSION_DEADLINE_KEY not in session


class TestSecondFactor:
    @pytest.fixture(autouse=True)
    def _required(self, settings: Any) -> None:
        settings.EDITORIAL_REQUIRE_TOTP_FOR_REVIEWERS = True

    @staticmethod
    def device(user: Any) -> Any:
        return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    @staticmethod
    def code(device: Any) -> str:
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"

    def test_a_reviewer_must_enter_a_code_before_any_workspace_page(
        self, client: Client, reviewer: Any
    ) -> None:
        """Password alone opens nothing but the code page (and sign-out)."""
        device = self.device(reviewer)
        assert sign_in(client, "reviewer", PASSWORD).status_code == 302
        response = client.get("/workspace/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/verify/?next=%2Fworkspace%2F"
        assert client.get("/admin/").status_code == 302
        page = client.get("/accounts/verify/?next=/workspace/")
        assert (
            page.status_code == 200 and "Code from your authenticator app" in page.content.decode()
        )
        response = client.post(
            "/accounts/verify/", {"code": self.code(device), "next": "/workspace/"}
        )
        assert response.status_code == 302 and response["Location"] == "/workspace/"
        assert client.get("/workspace/").status_code == 200

    def test_a_wrong_code_is_refused_and_the_gate_stays_shut(
        self, client: Client, reviewer: Any
    ) -> None:
        """A wrong code is named as wrong; the workspace stays closed."""
        device = self.device(reviewer)
        sign_in(client, "reviewer", PASSWORD)
        wrong = f"{(int(self.code(device)) + 1) % 1_000_000:06d}"
        response = client.post("/accounts/verify/", {"code": wrong, "next": "/workspace/"})
        assert response.status_code == 200
        assert "That code is not right" in response.content.decode()
        assert client.get("/workspace/").status_code == 302

    def test_a_reviewer_without_a_device_is_told_to_ask_an_administrator(
        self, client: Client, reviewer: Any
    ) -> None:
        """No device: the page says who can set one up, and nothing else opens."""
        sign_in(client, "reviewer", PASSWORD)
        page = client.get("/accounts/verify/").content.decode()
        assert "Ask an\n  administrator to add one" in page
        assert client.get("/workspace/").status_code == 302

    def test_the_next_address_cannot_lead_off_site(self, client: Client, reviewer: Any) -> None:
        """`next` pointing at another site is replaced by the dashboard."""
        device = self.device(reviewer)
        sign_in(client, "reviewer", PASSWORD)
        response = client.post(
            "/accounts/verify/", {"code": self.code(device), "next": "https://evil.example/"}
        )
        assert response["Location"] == "/workspace/"

    def test_editors_and_authors_are_not_asked(self, client: Client, editor: Any) -> None:
        """The second factor is asked of medical reviewers only."""
        sign_in(client, "editor", PASSWORD)
        assert client.get("/workspace/").status_code == 200

    def test_without_the_setting_reviewers_are_not_asked(
        self, client: Client, reviewer: Any, settings: Any
    ) -> None:
        """EDITORIAL_REQUIRE_TOTP_FOR_REVIEWERS off (the default): the password is enough."""
        settings.EDITORIAL_REQUIRE_TOTP_FOR_REVIEWERS = False
        sign_in(client, "reviewer", PASSWORD)
        assert client.get("/workspace/").status_code == 200

    def test_readers_never_touch_the_session(
        self, client: Client, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Public pages stay cacheable: no Vary: Cookie, no cookie set, whatever the setting."""
        response = client.get("/board/")
        assert "Cookie" not in response.get("Vary", "")
        assert not response.cookies

    def test_devices_are_managed_in_the_admin(
        self, client: Client, admin_user: Any, reviewer: Any
    ) -> None:
        """An administrator adds a reviewer's TOTP device and sees its set-up link."""
        client.force_login(admin_user)
        assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 200
        device = self.device(reviewer)
        changelist = client.get("/admin/otp_totp/totpdevice/").content.decode()
        assert "phone" in changelist
        assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").status_code == 200
