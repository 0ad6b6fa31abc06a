"""Accounts: the sign-in lockout (django-axes, per username and address), unlocking in the admin,
password rules, session length, and the TOTP second factor for medical reviewers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import client_address
from accounts.sessions import SESSION_DEADLINE_KEY, SessionStore
from reviews.models import SignOff
from reviews.services.errors import WorkflowError
from reviews.services.transitions import transition_apply
from tests.factories import PASSWORD, make_article, make_reference, make_user, submit_and_review

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


def sign_in(client: Client, username: str, password: str, *, address: str = HOME) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client: Client, username: str, times: int, *, address: str = HOME) -> Any:
    response = None
    for _ in range(times):
        response = sign_in(client, username, "wrong password", address=address)
    return response


def failures(username: str, address: str = HOME) -> int:
    """Failures axes holds against this username at this address."""
    return sum(
        AccessAttempt.objects.filter(username=username, ip_address=address).values_list(
            "failures_since_start", flat=True
        )
    )


def age_attempts(minutes: int) -> None:
    """Move every recorded attempt `minutes` into the past (axes stamps them on save)."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))


def until_text(minutes: int) -> str:
    """How the message names the time a lock that began about now lifts."""
    until = timezone.localtime(timezone.now() + timedelta(minutes=minutes))
    return f"locked until {until:%H:%M} {until.tzname()}"


class TestLockout:
    def test_five_failures_lock_and_the_page_says_until_when(
        self, client: Client, editor: Any
    ) -> None:
        """The fifth failure locks the username at this address; the page names the time it lifts."""
        response = fail(client, "editor", 4)
        assert response.status_code == 200
        assert "did not match" in response.content.decode()
        response = fail(client, "editor", 1)
        assert response.status_code == 429
        page = response.content.decode()
        assert until_text(15) in page
        assert "(15 more minutes)" in page
        assert "An administrator can unlock it sooner." in page
        assert "did not match" not in page
        assert failures("editor") == 5

    def test_a_lock_refuses_the_right_password_from_that_address(
        self, client: Client, editor: Any
    ) -> None:
        """The right password does not lift the lock, and it is not checked (nor counted)."""
        fail(client, "editor", 5)
        response = sign_in(client, "editor", PASSWORD)
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        assert "locked until" in response.content.decode()
        # Refused attempts are not failures of their own: they do not prolong the lock.
        assert failures("editor") == 5

    def test_a_lock_at_one_address_does_not_block_the_right_password_from_another(
        self, client: Client, editor: Any
    ) -> None:
        """Locking (user, address A) leaves address B open: nobody can lock an editor out remotely."""
        fail(Client(), "editor", 5, address=HOME)
        response = sign_in(client, "editor", PASSWORD, address=ELSEWHERE)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(editor.pk)

    def test_failures_at_one_address_do_not_lock_the_other_accounts_there(
        self, client: Client, editor: Any, author: Any
    ) -> None:
        """Behind a shared (NAT) address, one person's lock is not everyone's."""
        fail(Client(), "editor", 5)
        assert sign_in(client, "author", PASSWORD).status_code == 302

    @override_settings(EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS=8)
    def test_an_address_is_locked_on_its_own_limit_whatever_username_it_tries(
        self, client: Client, author: Any
    ) -> None:
        """Spraying one password over many usernames locks the address at its own, higher limit."""
        for number in range(7):
            assert fail(client, f"user-{number}", 1, address="192.0.2.50").status_code == 200
        response = fail(client, "user-7", 1, address="192.0.2.50")
        assert response.status_code == 429
        assert "signing in from this network address is locked" in response.content.decode()
        response = sign_in(client, "author", PASSWORD, address="192.0.2.50")
        assert response.status_code == 429
        # The same account from another address signs in: only the address was locked.
        assert sign_in(client, "author", PASSWORD, address="192.0.2.51").status_code == 302

    def test_the_address_limit_is_ten_times_the_account_limit(self) -> None:
        """By default a whole address needs 50 failures: a few people mistyping do not lock it."""
        assert settings.EDITORIAL_LOGIN_MAX_FAILURES_PER_ADDRESS == 10 * settings.AXES_FAILURE_LIMIT

    def test_unknown_usernames_lock_like_real_ones(self, client: Client) -> None:
        """A lock does not reveal whether an account exists."""
        response = fail(client, "nobody-here", 5, address="192.0.2.60")
        assert response.status_code == 429
        assert failures("nobody-here", "192.0.2.60") == 5

    def test_case_variants_share_one_count(self, client: Client, editor: Any) -> None:
        """`Editor`, `EDITOR` and `editor` are counted as one username."""
        for name in ("Editor", "EDITOR", "editor", "eDitor"):
            fail(client, name, 1)
        response = fail(client, "EdItOr", 1)
        assert response.status_code == 429
        assert failures("editor") == 5

    def test_failures_older_than_the_cool_off_do_not_count(
        self, client: Client, editor: Any
    ) -> None:
        """Four failures, then none for 16 minutes: the next one starts a new count."""
        fail(client, "editor", 4)
        age_attempts(16)
        assert fail(client, "editor", 1).status_code == 200
        assert failures("editor") == 1

    def test_a_successful_sign_in_starts_the_count_afresh(
        self, client: Client, editor: Any
    ) -> None:
        """Four failures, a success, four more from the same address: no lock."""
        fail(client, "editor", 4)
        assert sign_in(client, "editor", PASSWORD).status_code == 302
        client.logout()
        assert fail(client, "editor", 4).status_code == 200
        assert sign_in(client, "editor", PASSWORD).status_code == 302

    def test_the_lock_expires_and_its_failures_are_not_counted_again(
        self, client: Client, editor: Any
    ) -> None:
        """After the lock runs out the right password works; one more failure does not relock."""
        fail(client, "editor", 5)
        age_attempts(16)
        assert fail(client, "editor", 1).status_code == 200
        assert sign_in(client, "editor", PASSWORD).status_code == 302

    @override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=timedelta(minutes=60))
    def test_the_limit_and_the_duration_are_settings(self, client: Client, editor: Any) -> None:
        """EDITORIAL_LOGIN_MAX_FAILURES and EDITORIAL_LOGIN_LOCKOUT_MINUTES become axes' settings."""
        response = fail(client, "editor", 3)
        assert response.status_code == 429
        assert until_text(60) in response.content.decode()

    def test_the_admin_sign_in_page_is_locked_too(self, client: Client, admin_user: Any) -> None:
        """The admin's own login form cannot be used to keep guessing, and says until when."""
        for _ in range(5):
            client.post(
                "/admin/login/", {"username": "admin", "password": "nope"}, REMOTE_ADDR=HOME
            )
        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": "admin", "password": "password"},
            REMOTE_ADDR=HOME,
        )
        assert response.status_code == 429
        assert until_text(15) in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_the_backend_refuses_a_locked_pair_whoever_asks(
        self, client: Client, editor: Any, rf: RequestFactory
    ) -> None:
        """authenticate() itself answers None while locked, whatever form or API calls it."""
        fail(client, "editor", 5)
        locked = rf.post("/", REMOTE_ADDR=HOME)
        assert authenticate(locked, username="editor", password=PASSWORD) is None
        elsewhere = rf.post("/", REMOTE_ADDR=ELSEWHERE)
        assert authenticate(elsewhere, username="editor", password=PASSWORD) == editor

    @override_settings(EDITORIAL_TRUSTED_PROXY_COUNT=1)
    def test_behind_a_proxy_the_forwarded_client_is_counted(
        self, client: Client, editor: Any
    ) -> None:
        """Axes reads the client's address through the same trusted-proxy rule."""
        client.post(
            LOGIN,
            {"username": "editor", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4",
        )
        assert failures("editor", "198.51.100.4") == 1


class TestUnlock:
    def test_an_editor_unlocks_by_deleting_the_attempts_in_the_admin(
        self, client: Client, editor: Any, author: Any
    ) -> None:
        """The Editor group sees axes' attempts and deletes them; the admin's log says who did."""
        locked = Client()
        fail(locked, "author", 5)
        attempt = AccessAttempt.objects.get(username="author")
        client.force_login(editor)
        changelist = client.get("/admin/axes/accessattempt/")
        assert changelist.status_code == 200 and "author" in changelist.content.decode()
        response = client.post(
            "/admin/axes/accessattempt/",
            {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
            follow=True,
        )
        assert response.status_code == 200
        assert not AccessAttempt.objects.exists()
        assert LogEntry.objects.filter(
            user=editor, action_flag=DELETION, object_id=str(attempt.pk)
        ).exists()
        assert sign_in(locked, "author", PASSWORD).status_code == 302

    def test_lock_records_cannot_be_added_in_the_admin(
        self, client: Client, admin_user: Any
    ) -> None:
        """Locks come from failed sign-ins; the admin only lifts them."""
        client.force_login(admin_user)
        assert client.get("/admin/axes/accessattempt/add/").status_code == 403

    def test_authors_and_reviewers_see_no_lock_records(self, client: Client, author: Any) -> None:
        """Only the Editor group (and superusers) was given axes' permissions."""
        author.is_staff = True
        author.save()
        client.force_login(author)
        assert client.get("/admin/axes/accessattempt/").status_code == 403


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
        """An address that is not an IP address is not recorded (the username is still counted)."""
        assert client_address(rf.get("/", REMOTE_ADDR="not-an-ip")) is None


class TestSigningPassword:
    @staticmethod
    def under_review(author: Any, editor: Any, reviewer: Any) -> Any:
        return submit_and_review(
            make_article(author=author, citations=[make_reference()]),
            author=author,
            editor=editor,
            reviewers=[reviewer],
        )

    def test_wrong_signing_passwords_count_towards_the_lockout(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """Five wrong passwords at the signing step lock the reviewer like five at sign-in."""
        article = self.under_review(author, editor, reviewer)
        client = Client(REMOTE_ADDR=HOME)
        client.force_login(reviewer)
        url = f"/workspace/articles/{article.slug}/actions/approve/"
        form = {"password": "wrong", "content_hash": article.content_hash}
        for _ in range(4):
            response = client.post(url, form)
            assert response.status_code == 422
            assert "Your password was not correct" in response.content.decode()
        response = client.post(url, form)
        assert response.status_code == 429
        assert until_text(15) in response.content.decode()
        assert failures("reviewer") == 5
        # The sign-in page at that address is locked by the same count.
        assert sign_in(Client(), "reviewer", PASSWORD).status_code == 429

    def test_a_locked_reviewer_cannot_sign_even_with_the_right_password(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A session already open does not get round the lock: nothing is signed."""
        article = self.under_review(author, editor, reviewer)
        fail(Client(), "reviewer", 5)
        client = Client(REMOTE_ADDR=HOME)
        client.force_login(reviewer)
        response = client.post(
            f"/workspace/articles/{article.slug}/actions/approve/",
            {"password": PASSWORD, "content_hash": article.content_hash},
        )
        assert response.status_code == 429
        page = response.content.decode()
        assert "locked until" in page and "Nothing was signed." in page
        assert "Your password was not correct" not in page
        assert not SignOff.objects.filter(article=article).exists()
        assert failures("reviewer") == 5

    def test_a_wrong_signing_password_is_refused(
        self, author: Any, editor: Any, reviewer: Any
    ) -> None:
        """A wrong signing password signs nothing, with or without a request to count it on."""
        article = self.under_review(author, editor, reviewer)
        with pytest.raises(WorkflowError) as refused:
            transition_apply(
                article=article,
                user=reviewer,
                action="approve",
                password="wrong",
                params={"content_hash": article.content_hash},
            )
        assert refused.value.code == "reauth"

    def test_the_service_names_the_lock(
        self, author: Any, editor: Any, reviewer: Any, rf: RequestFactory
    ) -> None:
        """transition_apply given the signer's request refuses a locked pair with code locked_out."""
        article = self.under_review(author, editor, reviewer)
        fail(Client(), "reviewer", 5)
        with pytest.raises(WorkflowError) as refused:
            transition_apply(
                article=article,
                user=reviewer,
                action="approve",
                password=PASSWORD,
                params={"content_hash": article.content_hash},
                request=rf.post("/", REMOTE_ADDR=HOME),
            )
        assert refused.value.code == "locked_out"
        assert "locked until" in refused.value.reasons[0]


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

    def test_a_superuser_without_a_role_gets_the_short_session_too(
        self, client: Client, admin_user: Any
    ) -> None:
        """The admin's most powerful accounts hold no role group, and are capped all the same."""
        assert not admin_user.groups.exists()
        sign_in(client, "admin", "password")
        session = client.session
        assert session.get_expire_at_browser_close()
        assert session.get_expiry_age() == 8 * 3600
        assert SESSION_DEADLINE_KEY in session

    def test_other_accounts_keep_the_site_wide_session_age(self, client: Client) -> None:
        """An account with no role and no admin access keeps SESSION_COOKIE_AGE."""
        make_user(username="plain")
        sign_in(client, "plain", PASSWORD)
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
