"""Forms of the editorial workspace: workflow actions, sign-off, comments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from accounts.roles import ROLE_GROUPS, Role
from articles.audiences import audience_choices
from reviews.workflow import Transition


class ActionForm(forms.Form):
    """The input one transition needs: a note, reviewers and a due date, or a password to sign."""

    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign.",
    )
    reviewers = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    due_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    when = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    content_hash = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, transition: Transition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.name == "start_review":
            self.fields["reviewers"].queryset = (
                get_user_model()
                .objects.filter(groups__name=ROLE_GROUPS[Role.REVIEWER], is_active=True)
                .select_related("reviewer_profile")
                .order_by("last_name", "username")
            )
            self.fields["reviewers"].label_from_instance = _reviewer_label
        else:
            del self.fields["reviewers"], self.fields["due_on"]
        if not transition.signs:
            del self.fields["password"], self.fields["content_hash"]
        if transition.name not in {"schedule_publish", "schedule_unpublish"}:
            del self.fields["when"]
        else:
            self.fields["when"].required = True
        self.fields["note"].required = transition.needs_note
        if transition.signs:
            self.fields["password"].required = True

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            key: data[key]
            for key in ("reviewers", "due_on", "content_hash", "when")
            if data.get(key)
        }


def _reviewer_label(user: Any) -> str:
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


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    note = forms.CharField(required=False, label="How it was resolved", max_length=1000)
