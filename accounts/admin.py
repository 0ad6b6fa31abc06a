"""The admin's side of signing in: its login form names a lock like ours does.

The lock records themselves are axes' (Axes › Access attempts): deleting an account's attempts
lifts its lock at once, and the admin's log keeps who did. The Editor group may view and delete
them (reviews migration 0009).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from accounts.lockout import LockoutFormMixin


class LockoutAdminAuthenticationForm(LockoutFormMixin, AdminAuthenticationForm):
    """The admin's sign-in form; a lock is named with the time it lifts."""


def use_lockout_form_in_admin(site: admin.AdminSite) -> None:
    """The admin's own sign-in page shows the same lock message (the backend refuses anyway)."""
    site.login_form = LockoutAdminAuthenticationForm
