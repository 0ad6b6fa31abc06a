"""Forms for content: the article editor (one text area per audience) and references."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.core import signing
from django.db.models import Q

from accounts.roles import ROLE_GROUPS, Role, user_group_names
from articles import limits
from articles.audiences import audiences
from articles.models import Article, ChangeWeight, ProblemReport, Topic
from articles.slugs import slug_from_title, slug_taken, unique_slug


def user_may_list_every_article(user: Any) -> bool:
    """Editors and superusers pick among every article; others among published and their own."""
    return bool(user.is_superuser or ROLE_GROUPS[Role.EDITOR] in user_group_names(user))


def text_field_name(audience_key: str) -> str:
    return f"text_{audience_key}"


def audience_text_fields() -> dict[str, forms.Field]:
    """One Markdown field per configured audience, declared on the form class."""
    return {
        text_field_name(audience.key): forms.CharField(
            label=f"{audience.label} text",
            required=False,
            widget=forms.Textarea(attrs={"rows": 16}),
            help_text="Markdown. Cite as [@pmid:N], [@doi:10.…] or [@citekey].",
        )
        for audience in audiences().values()
    }


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A model multiple-choice field that refuses an id no database column can hold.

    Django's own field sends every submitted value to an `__in` query: on SQLite an id beyond 64
    bits fails inside the driver (a 500 before any form error), on PostgreSQL it is simply not
    found. Here both are the same "Select a valid choice" error on the field, with the input kept.
    """

    BIGINT_MAX = 2**63 - 1

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            text = str(pk).strip()
            if text.lstrip("-").isdigit() and abs(int(text)) > self.BIGINT_MAX:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text},
                )
        return super()._check_values(value)


class SourceKeysField(forms.CharField):
    """A list of citation keys typed one per line; the model normalises and checks them."""

    widget = forms.Textarea(attrs={"rows": 6})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(key) for key in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(key) for key in value]
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]

    def run_validators(self, value: Any) -> None:
        # CharField's validators (no NUL characters) judge one string: run them on each key.
        for key in value:
            super().run_validators(key)


class BaseArticleContentForm(forms.ModelForm):
    """Edit an article's content: title, summary, a text per audience, related articles, the
    sources consulted.

    Carries the version the edit started from, so a stale save is refused instead of lost.
    """

    related = BoundedModelMultipleChoiceField(
        queryset=Article.objects.only("slug", "title"), required=False
    )
    topics = BoundedModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Filing only: changing topics makes no new version.",
    )
    sources = SourceKeysField(
        label="Sources consulted",
        required=False,
        help_text="One key per line, as in a citation marker: pmid:N, doi:10.… or a citekey. "
        "Each must be in the reference library. A source no text cites is flagged for review "
        "and shown to readers as further reading.",
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        max_length=500, help_text="Why you made this change (kept in the history)."
    )
    change_weight = forms.ChoiceField(
        choices=ChangeWeight.choices, initial=ChangeWeight.SUBSTANTIVE
    )

    class Meta:
        model = Article
        # `sources` goes through the model so that Article.clean() checks each key against the
        # library and names the unknown ones on the field.
        fields = ["slug", "title", "summary", "sources"]

    # Set by the admin, which builds the form class per request and cannot pass `user`.
    picker_user: Any = None

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = user if user is not None else self.picker_user
        if user is not None and "related" in self.fields and not user_may_list_every_article(user):
            # Pickers list what the user may see: published articles and their own, never the
            # titles of other people's drafts.
            self.fields["related"].queryset = (
                self.fields["related"]
                .queryset.filter(Q(live_version__isnull=False) | Q(authors=user))
                .distinct()
            )
        texts = self.instance.texts or {}
        for key in audiences():
            self.fields[text_field_name(key)].initial = texts.get(key, "")
        if self.instance.pk and "slug" in self.fields:
            self.fields["slug"].disabled = True
            self.fields["related"].queryset = self.fields["related"].queryset.exclude(
                pk=self.instance.pk
            )
            self.fields["related"].initial = list(self.instance.related_ids)
            self.fields["topics"].initial = list(self.instance.topics.all())
            self.fields["base_version"].initial = self.instance.version
        else:
            self.fields["change_reason"].initial = "First version."
            if "slug" in self.fields:
                # Left blank, the address is made from the title (clean); typed, it is checked.
                self.fields["slug"].required = False
                self.fields["slug"].help_text = (
                    "The article's address, e.g. what-is-hpp. Leave it blank to make it from the "
                    "title. It cannot be changed once the article is created."
                )

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or ""
        if slug and not self.instance.pk and slug_taken(slug):
            raise forms.ValidationError(
                "The address “%(slug)s” is already taken by another article. Choose another "
                "(“%(free)s” is free), or leave it blank to make one from the title.",
                code="unique",
                params={"slug": slug, "free": unique_slug(slug)},
            )
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "slug" in data and not data["slug"] and not self.instance.pk:
            self._derive_slug(data)
        # The texts are not model fields of this form, so the model's own check cannot name
        # their field: each is checked here, and its error shown under its text area.
        for key, audience in audiences().items():
            name = text_field_name(key)
            if data.get(name):
                try:
                    limits.check_text(data[name], label=limits.text_label(audience.label))
                except forms.ValidationError as error:
                    self.add_error(name, error)
        base = data.get("base_version")
        if self.instance.pk and base is not None and base != self.instance.version:
            raise forms.ValidationError(
                "This article was changed by someone else since you opened it (it is now version "
                "%(current)s, you started from version %(base)s). Copy your text, reload, and "
                "apply your change again.",
                code="conflict",
                params={"current": self.instance.version, "base": base},
            )
        return data

    def _derive_slug(self, data: dict[str, Any]) -> None:
        base = slug_from_title(data.get("title") or "")
        if not base:
            if data.get("title"):
                self.add_error(
                    "slug",
                    forms.ValidationError(
                        "The title has no letters or digits to make an address from; type one.",
                        code="required",
                    ),
                )
            return  # no title: the title's own error says so
        try:
            data["slug"] = unique_slug(base)
        except forms.ValidationError as error:
            self.add_error("slug", error)
            return
        # The model checks the instance, not cleaned_data: give it the address it will have.
        self.instance.slug = data["slug"]

    def content_fields(self) -> dict[str, Any]:
        """The cleaned content in the shape the services take."""
        data = self.cleaned_data
        fields = {
            "title": data["title"],
            "summary": data["summary"],
            "texts": {
                key: data[text_field_name(key)]
                for key in audiences()
                if data.get(text_field_name(key))
            },
            "related_ids": [article.pk for article in data["related"]],
        }
        # A page that does not show the field (the admin's fieldsets) posts nothing for it: keep
        # the listed sources rather than erase them. A shown, emptied textarea still posts "".
        if self.add_prefix("sources") in self.data:
            fields["sources"] = data["sources"]
        return fields


# The audiences are configuration, so the form class is built once with a field for each.
ArticleContentForm = type("ArticleContentForm", (BaseArticleContentForm,), audience_text_fields())


class ProblemReportForm(forms.ModelForm):
    """A reader's problem report. Two quiet spam checks: a honeypot field people never see, and
    a signed start time (bots post at once; a form left open for days is stale)."""

    MIN_SECONDS = 3
    MAX_AGE_SECONDS = 60 * 60 * 24

    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = ProblemReport
        fields = ["kind", "message", "email"]
        widgets = {"kind": forms.RadioSelect, "message": forms.Textarea(attrs={"rows": 6})}
        labels = {
            "kind": "What is the problem?",
            "message": "Tell us what you noticed",
            "email": "Your e-mail (optional)",
        }

    @classmethod
    def signed_start(cls) -> str:
        return signing.dumps(time.time(), salt="problem-report")

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError("This field must be left empty.", code="spam")
        return ""

    def clean_started(self) -> float:
        try:
            started = signing.loads(
                self.cleaned_data["started"], salt="problem-report", max_age=self.MAX_AGE_SECONDS
            )
        except signing.BadSignature:
            raise forms.ValidationError(
                "This form has expired; reload the page and try again.", code="expired"
            ) from None
        if time.time() - float(started) < self.MIN_SECONDS:
            raise forms.ValidationError(
                "That was very quick; please check your report and send it again.", code="too_fast"
            )
        return float(started)
