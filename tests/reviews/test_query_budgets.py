"""The write paths cost a fixed, small number of queries, however long the article's history.

Budgets (issue "Performance and scale"): saving a version, signing off and publishing take at most
15 queries each (signing 16, see SIGN_BUDGET; publishing 18, see PUBLISH_BUDGET), the same on an
article with 5 versions as on one with 50. Transaction control (SAVEPOINT/RELEASE) is not a query
and is not counted, but `django_assert_max_num_queries` still bounds every statement sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from reviews.checks import article_checks
from reviews.services.comments import comment_create, comment_resolve
from reviews.services.content import draft_update
from reviews.services.transitions import transition_apply
from tests.factories import PASSWORD, make_article, make_reference, submit_and_review

WRITE_BUDGET = 15
# Three more: the publication guard reads the cited and listed sources' status (retracted,
# superseded) from the library, since a retraction may come after the board signed;
# publication reads the authors, to mail them that their article is live; and it writes the
# live version's search entries (one upsert for every audience, public.search_index).
PUBLISH_BUDGET = WRITE_BUDGET + 3
# Signing reads one more: the version history's (number, hash, saved by, approved) rows, from
# which who wrote the signed text is worked out, reverts included (issue "What the board signed
# is what readers get"). One query, however long the history.
SIGN_BUDGET = WRITE_BUDGET + 1
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


def queries(captured: Any) -> list[str]:
    return [
        q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)
    ]


def fresh_user(user: Any) -> Any:
    """A new user object, as each request has (no per-object caches carried over)."""
    return get_user_model().objects.get(pk=user.pk)


def with_versions(*, author: Any, versions: int) -> Article:
    article = make_article(author=author, citations=[make_reference() for _ in range(4)])
    base = article.texts["patient"]
    for n in range(versions - 1):
        texts = {**article.texts, "patient": f"{base} Edit {n}."}
        article = draft_update(
            article=article,
            user=author,
            base_version=article.version,
            fields={"texts": texts},
            change_reason=f"Edit {n}.",
        )
    assert article.version == versions
    return article


@pytest.fixture(params=[5, 50], ids=["5-versions", "50-versions"])
def versions(request: Any) -> int:
    return request.param


def test_saving_a_version_stays_within_budget(
    author: Any, versions: int, django_assert_max_num_queries: Any
) -> None:
    article = with_versions(author=author, versions=versions)
    texts = dict(article.texts)
    texts["clinician"] += "\n\nOne more sentence."
    article = Article.objects.get(pk=article.pk)
    user = fresh_user(author)
    with django_assert_max_num_queries(WRITE_BUDGET + 6) as captured:
        draft_update(
            article=article,
            user=user,
            base_version=article.version,
            fields={"texts": texts},
            change_reason="Benchmark edit.",
            change_weight="minor",
        )
    assert len(queries(captured)) <= WRITE_BUDGET, queries(captured)


def test_signing_off_stays_within_budget(
    author: Any, editor: Any, reviewer: Any, versions: int, django_assert_max_num_queries: Any
) -> None:
    """Approving: re-authentication, every guard, the checks, the signature, the audit event and
    the e-mail to the authors and editors."""
    article = submit_and_review(
        with_versions(author=author, versions=versions),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    # A resolved thread is history, not a blocker, and costs no query of its own.
    thread = comment_create(article=article, user=reviewer, body="Check the dose.")
    comment_resolve(article=article, user=reviewer, comment_id=thread.pk, note="Fixed.")
    article = Article.objects.get(pk=article.pk)
    article_checks(article=article)  # the reviewer's page scored readability before signing
    user = fresh_user(reviewer)
    with django_assert_max_num_queries(SIGN_BUDGET + 4) as captured:
        transition_apply(
            article=article,
            user=user,
            action="approve",
            password=PASSWORD,
            note="Checked.",
            params={"content_hash": article.content_hash},
        )
    assert len(queries(captured)) <= SIGN_BUDGET, queries(captured)
    assert Article.objects.get(pk=article.pk).workflow.state == "approved"


def test_publishing_stays_within_budget(
    author: Any, editor: Any, reviewer: Any, versions: int, django_assert_max_num_queries: Any
) -> None:
    """Publishing renders every audience's page once, indexes the citations and audits it."""
    article = submit_and_review(
        with_versions(author=author, versions=versions),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    transition_apply(
        article=article,
        user=reviewer,
        action="approve",
        password=PASSWORD,
        params={"content_hash": article.content_hash},
    )
    article = Article.objects.get(pk=article.pk)
    user = fresh_user(editor)
    with django_assert_max_num_queries(PUBLISH_BUDGET + 6) as captured:
        transition_apply(article=article, user=user, action="publish")
    assert len(queries(captured)) <= PUBLISH_BUDGET, queries(captured)
    article = Article.objects.get(pk=article.pk)
    assert article.live_version.version == versions
    assert article.citation_links.count() == 4


# The workspace diff page: session, user, the article and the reader's role on it, the two
# versions (5 queries); the first look at a pair renders the changed texts through the readers'
# pipeline: the glossary, then for each version its kept renditions, the sources it cites and
# one insert of what it rendered. Renditions are kept, so later looks read them from the cache.
DIFF_BUDGET = 12
DIFF_SEEN_BUDGET = 5


def diff_queries(*, author: Any, audiences: int, citations: int) -> tuple[int, int]:
    """Queries of the first and of a second look at a diff where every audience's text changed."""
    cache.clear()  # each measurement starts cold: no glossary, no renditions cached
    keys = ("patient", "caregiver", "student", "clinician")[:audiences]
    references = [make_reference() for _ in range(citations)]
    markers = " ".join(f"[@{r.citekey}]" for r in references)
    texts = dict.fromkeys(keys, f"## Dose\n\nTake 15 mg daily {markers}.\n\n- Rest.")
    article = make_article(author=author, texts=texts)
    draft_update(
        article=article,
        user=author,
        base_version=1,
        fields={"texts": {k: t.replace("15 mg", "30 mg") for k, t in texts.items()}},
        change_reason="Dose.",
    )
    client = Client()
    client.force_login(author)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/workspace/articles/{article.slug}/diff/?from=1&to=2")
        assert response.status_code == 200
        assert response.content.decode().count('class="diff-side"') == audiences
        counts.append(len(queries(captured)))
    return counts[0], counts[1]


def test_the_side_by_side_diff_stays_within_budget(author: Any) -> None:
    """The diff page costs the same with 2 changed texts citing 1 source as with 4 citing 6,
    and a second look only reads the page's own rows."""
    small = diff_queries(author=author, audiences=2, citations=1)
    large = diff_queries(author=author, audiences=4, citations=6)
    assert small == large, (small, large)
    first, seen = large
    assert first <= DIFF_BUDGET and seen <= DIFF_SEEN_BUDGET, large


def test_commenting_on_a_selection_stays_within_budget(
    author: Any, editor: Any, reviewer: Any, versions: int, django_assert_max_num_queries: Any
) -> None:
    """A comment on words selected in an older version's rendered text: the lock, the roles, that
    version's row, its rendition (rendered once: the glossary, kept renditions, sources, insert)
    and the comment; the same with 5 versions as with 50."""
    article = submit_and_review(
        with_versions(author=author, versions=versions),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    article = Article.objects.get(pk=article.pk)
    user = fresh_user(reviewer)
    with django_assert_max_num_queries(WRITE_BUDGET + 6) as captured:
        comment = comment_create(
            article=article,
            user=user,
            body="Which study?",
            audience="patient",
            quote="Text for the patient",
            start=len("About\n"),  # the rendered text: the heading, then the paragraph
            end=len("About\nText for the patient"),
            version=1,
        )
    assert len(queries(captured)) <= 9, queries(captured)
    assert (comment.version, comment.source_start) == (1, len("## About\n\n"))
