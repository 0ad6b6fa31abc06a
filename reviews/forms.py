"""Forms of the editorial workspace: the article editor, workflow actions, sign-off, comments."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.roles import ROLE_GROUPS, Role
from articles.audiences import audience_choices
from articles.forms import ArticleContentForm, BoundedModelMultipleChoiceField
from reviews.selectors.roles import relatable_articles
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


DATE_INPUT_FORMAT = "%Y-%m-%d"  # what <input type=date> reads and sends
DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type=datetime-local> reads and sends

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
    # A date input shows and sends ISO dates only (a value like "16/12/2026", the locale's
    # format, is dropped and the field shows empty), so the widgets render ISO, whatever the
    # language; the fields still accept the locale's formats typed into a plain text box.
    "due_on": lambda spec: forms.DateField(
        required=spec.required,
        widget=forms.DateInput(
            format=DATE_INPUT_FORMAT,
            attrs={"type": "date", "min": timezone.localdate().strftime(DATE_INPUT_FORMAT)},
        ),
    ),
    "when": lambda spec: forms.DateTimeField(
        required=spec.required,
        widget=forms.DateTimeInput(format=DATETIME_INPUT_FORMAT, attrs={"type": "datetime-local"}),
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


MAX_RELATED_SHOWN = 200  # chosen related articles listed on the form (a real article has a few)
MAX_RELATED_ADDED = 20  # addresses typed into "Add related articles" at once


class WorkspaceArticleForm(ArticleContentForm):
    """The workspace's article form: related articles as a list of the chosen ones.

    Listing every article a user may relate (a select box) grows with the library; here the form
    lists only the chosen ones as checkboxes (uncheck to remove) and takes new ones by address in
    "Add related articles", which the page's script turns into a search box. The choices are
    validated against `relatable_articles`, the same scope the search answers from.
    """

    related_add = forms.CharField(
        required=False,
        label="Add related articles",
        max_length=2_000,
        help_text="Addresses (slugs) of published articles or of articles you work on, "
        "separated by spaces or commas.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        field = self.fields["related"]
        queryset = relatable_articles(user=user).only("slug", "title")
        if self.instance.pk:
            queryset = queryset.exclude(pk=self.instance.pk)
        field.queryset = queryset
        field.widget = forms.CheckboxSelectMultiple(attrs={"class": "related-chosen"})
        chosen = self._chosen_ids()
        field.widget.choices = (
            [
                (article.pk, article.title)
                for article in queryset.filter(pk__in=chosen).order_by("title", "pk")
            ]
            if chosen
            else []
        )

    def _chosen_ids(self) -> list[int]:
        if self.is_bound:
            raw = (
                self.data.getlist(self.add_prefix("related"))
                if hasattr(self.data, "getlist")
                else []
            )
        else:
            raw = self.initial.get("related", self.fields["related"].initial) or []
        ids = []
        for value in raw:
            text = str(getattr(value, "pk", value)).strip()
            if text.isdigit() and len(text) < 19:
                ids.append(int(text))
        return ids[:MAX_RELATED_SHOWN]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        typed = data.get("related_add") or ""
        slugs = list(dict.fromkeys(s.lower() for s in typed.replace(",", " ").split() if s))
        if not slugs:
            return data
        if len(slugs) > MAX_RELATED_ADDED:
            self.add_error(
                "related_add",
                forms.ValidationError(
                    "Add at most %(limit)s articles at once (you typed %(count)s addresses).",
                    params={"limit": MAX_RELATED_ADDED, "count": len(slugs)},
                ),
            )
            return data
        matches = (
            self.fields["related"]
            .queryset.annotate(lowered=Lower("slug"))
            .filter(lowered__in=slugs)
        )
        found = {article.lowered: article for article in matches}
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            # Said the same way whether the address is free or another person's draft.
            self.add_error(
                "related_add",
                forms.ValidationError(
                    "No article you can relate has the address %(slugs)s.",
                    params={"slugs": ", ".join(f"“{slug}”" for slug in missing)},
                ),
            )
            return data
        if "related" in data:
            data["related"] = list(dict.fromkeys([*data["related"], *found.values()]))
        return data
