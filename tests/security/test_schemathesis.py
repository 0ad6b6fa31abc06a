"""Both APIs fuzzed from their own OpenAPI document: never a 500, always the documented shapes,
and a refused write leaves nothing behind.

Schemathesis builds requests for every operation of the document that GET /api/v1/openapi.json
serves (the drafting API and the public read API), valid ones (positive) and invalid ones
(negative: wrong types, missing fields, values outside the schema), and sends them in-process to
Django's WSGI handler. Each answer is checked with schemathesis' `not_a_server_error` and
`response_schema_conformance` (the body matches the schema documented for its status code), and
every refused write (4xx) is checked to have changed nothing: no article, version, history row,
workflow move or audit event.

Path slugs are generated at random (mostly unknown: 404) and also fixed to an existing draft and
an existing published article, so the 200 and 409/422 answers are exercised too. Drafting calls
carry a real bearer token, and also none, so the 401 answers are checked. Runs derandomised.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.tokens import api_token_issue
from api.v1 import openapi_document
from articles.models import Article
from reviews.models import AuditEvent, SignOff
from tests.factories import make_article, make_reference, publish_approved

APP = WSGIHandler()
# The document ninja generates from the operations and their schemas, exactly as it is served.
SCHEMA = schemathesis.openapi.from_dict(openapi_document())
CHECKS = [not_a_server_error, response_schema_conformance]
OPERATIONS = sorted(op.ok().label for op in SCHEMA.get_all_operations())
DRAFT_SLUG = "fuzzed-draft"
PUBLISHED_SLUG = "fuzzed-published"
# SCHEMATHESIS_EXAMPLES raises the count for a deeper run by hand (CI keeps 40 per run).
FUZZ = settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "40")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def in_process_wsgi() -> Iterator[None]:
    """Keep the test's transaction across WSGI calls, as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class World:
    token: str
    draft: Article
    published: Article


@pytest.fixture
def world(db: Any, in_process_wsgi: None, author: Any, editor: Any, reviewer: Any) -> World:
    reference = make_reference()
    make_article(author=author, slug=DRAFT_SLUG, citations=[reference])
    published = publish_approved(
        make_article(author=author, slug=PUBLISHED_SLUG, citations=[reference]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    return World(
        token=api_token_issue(user=author, name="fuzz").secret,
        draft=Article.objects.get(slug=DRAFT_SLUG),
        published=published,
    )


def test_the_fuzzed_document_is_the_one_the_api_serves(client: Client) -> None:
    """The schema under test is exactly GET /api/v1/openapi.json, loaded the way clients load it."""
    served = client.get("/api/v1/openapi.json").json()
    assert served == SCHEMA.raw_schema
    assert OPERATIONS == [
        "GET /articles/",
        "GET /articles/{slug}/",
        "GET /drafts/{slug}/",
        "GET /openapi.json",
        "POST /drafts/",
        "POST /drafts/{slug}/submit",
        "PUT /drafts/{slug}/",
    ]


def _state() -> tuple[Any, ...]:
    """Everything a write could touch."""
    articles = tuple(
        Article.objects.order_by("pk").values_list(
            "pk", "slug", "version", "content_hash", "title", "workflow__state"
        )
    )
    return (articles, Article.history.count(), AuditEvent.objects.count(), SignOff.objects.count())


def _fuzz(world: World, label: str, mode: str, *, slug: str | None, token: bool) -> Counter[int]:
    """Run one operation's strategy; return how many cases got each status code."""
    operation = SCHEMA[label.split(" ", 1)[1]][label.split(" ", 1)[0]]
    fixed = {"path_parameters": {"slug": slug}} if slug and "{slug}" in label else {}
    strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode), **fixed)
    headers = {"Authorization": f"Bearer {world.token}"} if token else {}
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        before = _state()
        if not token:
            # The schema declares bearer auth: drop any header schemathesis made up.
            case.headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
            }
        response = case.call(app=APP, headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)
        if case.method != "GET" and response.status_code >= 400:
            assert _state() == before, (
                f"{label} answered {response.status_code} but wrote something"
            )

    run()
    return statuses


DRAFTING = [label for label in OPERATIONS if "/drafts/" in label]
READING = [label for label in OPERATIONS if "/drafts/" not in label]
CASES_SENT: dict[str, Counter[int]] = {}


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("label", DRAFTING)
def test_drafting_api_with_a_token(world: World, label: str, mode: str) -> None:
    """Random and fixed (existing draft) slugs, valid and invalid bodies, a real token."""
    CASES_SENT[f"{label} {mode} random"] = _fuzz(world, label, mode, slug=None, token=True)
    if "{slug}" in label:
        CASES_SENT[f"{label} {mode} draft"] = _fuzz(world, label, mode, slug=DRAFT_SLUG, token=True)


@pytest.mark.parametrize("label", DRAFTING)
def test_drafting_api_without_a_token_is_401(world: World, label: str) -> None:
    """No token: a documented 401 whatever else the request holds, and nothing written."""
    CASES_SENT[f"{label} no token"] = _fuzz(world, label, "positive", slug=DRAFT_SLUG, token=False)


# GET /openapi.json takes no input at all, so there is nothing to make invalid.
READING_RUNS = [
    (label, mode)
    for label in READING
    for mode in ("positive", "negative")
    if not (label == "GET /openapi.json" and mode == "negative")
]


@pytest.mark.parametrize(("label", "mode"), READING_RUNS)
def test_read_api(world: World, label: str, mode: str) -> None:
    """The public read API: random slugs, the published article's slug, any page and audience."""
    CASES_SENT[f"{label} {mode} random"] = _fuzz(world, label, mode, slug=None, token=False)
    if "{slug}" in label:
        CASES_SENT[f"{label} {mode} published"] = _fuzz(
            world, label, mode, slug=PUBLISHED_SLUG, token=False
        )


def test_report_cases_sent() -> None:
    """Not a check: prints how many cases each run sent (pytest -s shows it)."""
    total: Counter[int] = Counter()
    for key, statuses in sorted(CASES_SENT.items()):
        total.update(statuses)
        print(f"{statuses.total():4d}  {key}: {dict(sorted(statuses.items()))}")
    print(f"{total.total():4d}  in all: {dict(sorted(total.items()))}")
