"""Review comments: threads on a passage of one audience's text, their replies and resolution.

A passage is anchored where the reviewer saw it: the rendered text of one version (as the
workspace page shows it, citations numbered). The anchor keeps the rendered quote, a little
text before and after it, where it starts in that rendered text, and the span of Markdown it
came from (`articles.sourcemap`), so the thread can be found again once the text changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.roles import Role
from articles.audiences import audience_keys
from articles.models import Article, HistoricalArticle
from articles.quotes import normalised_find
from articles.services import rendition_get_or_create
from articles.sourcemap import plain_text, source_map
from reviews.models import ArticleWorkflow, CommentResolution, ReviewComment
from reviews.models.decisions import CONTEXT_LENGTH
from reviews.selectors.roles import roles_for
from reviews.selectors.threads import may_resolve
from reviews.services.errors import WorkflowError
from reviews.services.records import article_locked

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# Longer than any real comment or passage; bounds the work and the rows one post can make.
MAX_BODY = 10_000
MAX_QUOTE = 5_000
MAX_NOTE = 1_000
# How far (in characters) from the page's offsets selected words are looked for again.
NEAR = 200


def _check_participant(
    *, user: AbstractBaseUser, article: Article, workflow: ArticleWorkflow
) -> frozenset[Role]:
    roles = roles_for(user=user, article=article, workflow=workflow)
    if not roles:
        raise PermissionDenied(
            "Only the article's authors, its reviewers and editors comment on it."
        )
    return roles


def _body(body: str, *, field: str = "body", what: str = "comment") -> str:
    body = body.strip()
    if not body:
        raise ValidationError({field: f"Write the {what}."})
    if len(body) > MAX_BODY:
        raise ValidationError(
            {field: f"A {what} is at most {MAX_BODY} characters; this one has {len(body)}."}
        )
    return body


@transaction.atomic
def comment_create(
    *,
    article: Article,
    user: AbstractBaseUser,
    body: str,
    audience: str = "",
    quote: str = "",
    start: int | None = None,
    end: int | None = None,
    version: int | None = None,
) -> ReviewComment:
    """Comment on the whole article, on a passage selected in the rendered text of one audience
    (`start`, `end`: its place in that rendering's plain text; `version`: the version shown), or
    on a quoted passage (found in the rendered text of the working version)."""
    article, workflow = article_locked(article)
    _check_participant(user=user, article=article, workflow=workflow)
    body = _body(body)
    if audience and audience not in audience_keys():
        raise ValidationError({"audience": f"“{audience[:40]}” is not an audience."})
    anchor: dict[str, Any] = {"version": article.version, "quote": ""}
    if (start, end, version) != (None, None, None):
        anchor = _anchor_selection(
            article=article, audience=audience, quote=quote, start=start, end=end, version=version
        )
    elif quote.strip():
        anchor = _anchor_quote(article=article, audience=audience, quote=quote)
    return ReviewComment.objects.create(
        article=article,
        cycle=workflow.cycle,
        audience=audience,
        body=body,
        author=user,
        **anchor,
    )


def _anchor_selection(
    *,
    article: Article,
    audience: str,
    quote: str,
    start: int | None,
    end: int | None,
    version: int | None,
) -> dict[str, Any]:
    if start is not None and start == end and not quote.strip():
        raise ValidationError({"quote": "Select some words first."})
    if start is None or end is None or version is None or not audience or not quote:
        named = {"audience": audience, "quote": quote, "start": start, "end": end}
        raise ValidationError(
            {
                name: "A selection names its audience, text, start, end and version."
                for name, value in {**named, "version": version}.items()
                if value in (None, "")
            }
        )
    _check_quote(quote)
    if start == end:
        raise ValidationError({"quote": "Select some words first."})
    if end < start:
        raise ValidationError(
            {"start": f"A selection starts before it ends: characters {start} to {end} are not."}
        )
    if not 1 <= version <= article.version:
        raise ValidationError({"version": f"This article has no version {version}."})
    snapshot = (
        article if version == article.version else article.history.filter(version=version).first()
    )
    where = f"the {audience} text of version {version}"
    text = _own_text(snapshot, audience, version)
    body_html = rendition_get_or_create(version=snapshot, audience=audience).body_html
    rendered = plain_text(body_html)
    # Whitespace aside: a form field sends the text's line breaks as CRLF (HTML's form encoding),
    # and the offsets already say where the words are.
    if not (0 <= start < end <= len(rendered) and rendered[start:end].split() == quote.split()):
        start, end = _refind(rendered, quote=quote, start=start, end=end, where=where)
    return _anchor(text=text, body_html=body_html, version=version, start=start, end=end)


def _refind(rendered: str, *, quote: str, start: int, end: int, where: str) -> tuple[int, int]:
    """Where the selected words are when the page's offsets do not hold them (a page counted
    differently, or text shifted): the one place of the quote near the offsets, or a refusal
    that says what the reviewer selected and what is there."""
    places = normalised_find(rendered, quote)
    near = [p for p in places if abs(p[0] - start) <= NEAR + len(quote)]
    if len(near) == 1:
        return near[0]
    selected = _shown(quote)
    if not places:
        raise ValidationError(
            {
                "quote": f"“{selected}” is not in {where} (it has {len(rendered)} characters): "
                "reload the page and select the words again."
            }
        )
    found = rendered[start:end] if 0 <= start < end <= len(rendered) else ""
    there = f" (there it reads “{_shown(found)}”)" if found.strip() else ""
    if near:
        again = f"they are there {len(near)} times: select more words so that they are found once."
    else:
        again = "they are elsewhere in the text: reload the page and select them again."
    raise ValidationError(
        {
            "quote": f"You selected “{selected}”, which is not at characters {start} to {end} "
            f"of {where}{there}; {again}"
        }
    )


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else f"{text[:77]}…"


def _anchor_quote(*, article: Article, audience: str, quote: str) -> dict[str, Any]:
    """A passage pasted into the form (no script): found once, whitespace aside, in the rendered
    text of the working version, as the page shows it."""
    if not audience:
        raise ValidationError({"audience": "Choose the audience whose text you quote."})
    where = f"the {audience} text (version {article.version})"
    _check_quote(quote)
    text = _own_text(article, audience, article.version)
    body_html = rendition_get_or_create(version=article, audience=audience).body_html
    places = normalised_find(plain_text(body_html), quote)
    if not places:
        raise ValidationError({"quote": f"The quoted passage is not in {where}."})
    if len(places) > 1:
        raise ValidationError(
            {
                "quote": f"The quoted passage is in {where} {len(places)} times; quote more "
                "words so that it is found once."
            }
        )
    start, end = places[0]
    return _anchor(text=text, body_html=body_html, version=article.version, start=start, end=end)


def _check_quote(quote: str) -> None:
    if not quote.strip():
        raise ValidationError({"quote": "Select some words, not only spaces."})
    if len(quote) > MAX_QUOTE:
        raise ValidationError(
            {"quote": f"A passage is at most {MAX_QUOTE} characters; this one has {len(quote)}."}
        )


def _own_text(snapshot: Article | HistoricalArticle | None, audience: str, version: int) -> str:
    text = (snapshot.texts or {}).get(audience, "") if snapshot is not None else ""
    if not text.strip():
        raise ValidationError({"audience": f"Version {version} has no {audience} text."})
    return text


def _anchor(*, text: str, body_html: str, version: int, start: int, end: int) -> dict[str, Any]:
    """The fields that fix a passage: the rendered quote and its context, and its source span."""
    mapped = source_map(text, body_html)
    quote = mapped.text[start:end]
    _check_quote(quote)
    source_start, source_end = mapped.source_span(start, end)
    return {
        "version": version,
        "quote": quote,
        "rendered_start": start,
        "source_start": source_start,
        "source_end": source_end,
        "prefix": mapped.text[max(start - CONTEXT_LENGTH, 0) : start],
        "suffix": mapped.text[end : end + CONTEXT_LENGTH],
    }


def _root(*, article: Article, comment_id: int, action: str) -> ReviewComment:
    root = ReviewComment.objects.filter(pk=comment_id, article=article, parent__isnull=True).first()
    if root is None:
        raise WorkflowError(
            action, ["There is no such comment on this article."], code="unknown_comment"
        )
    return root


@transaction.atomic
def comment_reply(
    *, article: Article, user: AbstractBaseUser, comment_id: int, body: str
) -> ReviewComment:
    article, workflow = article_locked(article)
    _check_participant(user=user, article=article, workflow=workflow)
    root = _root(article=article, comment_id=comment_id, action="reply")
    return ReviewComment.objects.create(
        article=article,
        cycle=workflow.cycle,
        version=article.version,
        audience=root.audience,
        body=_body(body, what="reply"),
        author=user,
        parent=root,
    )


@transaction.atomic
def comment_resolve(
    *, article: Article, user: AbstractBaseUser, comment_id: int, note: str = ""
) -> CommentResolution:
    """Close a thread. Its writer or an editor may (`may_resolve`, which draws the button too)."""
    article, workflow = article_locked(article)
    roles = _check_participant(user=user, article=article, workflow=workflow)
    root = _root(article=article, comment_id=comment_id, action="resolve")
    if not may_resolve(user=user, thread=root, roles=roles):
        raise PermissionDenied("Only the comment's writer or an editor resolves it.")
    if CommentResolution.objects.filter(comment=root).exists():
        raise WorkflowError("resolve", ["This comment is already resolved."], code="illegal_state")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"A resolution note is at most {MAX_NOTE} characters."})
    return CommentResolution.objects.create(comment=root, resolved_by=user, note=note)
