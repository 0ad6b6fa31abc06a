"""Forms of the editorial workspace: workflow actions, sign-off, comments."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model

from accounts.roles import ROLE_GROUPS, Role
from articles.audiences import audience_choices
from articles.forms import BoundedModelMultipleChoiceField
from reviews.transition import Input, Transition

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _reviewers_field(spec: Input) -> forms.Field:
    field = BoundedModelMultipleChoiceField(
        queryset=get_user_model()
        .objects.filter(groups__name=ROLE_GROUPS[Role.REVIEWER], is_active=True)
        .select_related("reviewer_profile")
        .order_by("last_name", "username"),
        required=spec.required,
        widget=forms.CheckboxSelectMultiple,
    )
    field.label_from_instance = _reviewer_label
    return field


# How each input a row of the workflow table may declare is asked for, in the order shown.
FIELDS: dict[str, Callable[[Input], forms.Field]] = {
    "note": lambda spec: forms.CharField(
        required=spec.required, widget=forms.Textarea(attrs={"rows": 3})
    ),
    "password": lambda spec: forms.CharField(
        required=spec.required,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign.",
    ),
    "reviewers": _reviewers_field,
    "due_on": lambda spec: forms.DateField(
        required=spec.required, widget=forms.DateInput(attrs={"type": "date"})
    ),
    "when": lambda spec: forms.DateTimeField(
        required=spec.required, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    ),
    "content_hash": lambda spec: forms.CharField(required=spec.required, widget=forms.HiddenInput),
}


class ActionForm(forms.Form):
    """The input one transition declares (`Transition.inputs`), one field per input.

    Content rows (edit, revert) take their input through the article form and the restore
    button, so they get no fields here.
    """

    def __init__(self, *args: Any, transition: Transition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transition = transition
        declared = {} if transition.content else {spec.name: spec for spec in transition.inputs}
        for name, build in FIELDS.items():
            if name in declared:
                self.fields[name] = build(declared[name])

    def params(self) -> dict[str, Any]:
        """The declared inputs that travel in transition_apply's `params` (given ones only)."""
        data = self.cleaned_data
        return {
            spec.name: data[spec.name]
            for spec in self.transition.inputs
            if spec.in_params and spec.name in self.fields and data.get(spec.name)
        }


def _reviewer_label(user: AbstractBaseUser) -> str:
    profile = getattr(user, "reviewer_profile", None)
    return f"{profile.signature_name} — {profile.specialty}" if profile else user.get_username()


class CommentForm(forms.Form):
    audience = forms.ChoiceField(
        choices=[("", "Whole article"), *audience_choices()], required=False
    )
    quote = forms.CharField(
        required=False,
        label="Passage",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Paste the words you are commenting on.",
    )
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 4}))


class SelectionCommentForm(forms.Form):
    """A comment on a passage selected in the rendered text (the reviewer page's script posts it):
    where the selection is in that audience's rendered plain text, and the version shown."""

    audience = forms.ChoiceField(choices=audience_choices())
    quote = forms.CharField(strip=False, label="Passage")
    start = forms.IntegerField(min_value=0, max_value=10**7)
    end = forms.IntegerField(min_value=0, max_value=10**7)
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 4}))


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    note = forms.CharField(required=False, label="How it was resolved", max_length=1000)
