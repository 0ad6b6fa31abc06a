"""The evidence dossier: everything about an article's review, as JSON and as a printable page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from reviews.services.comments import comment_create, comment_resolve
from reviews.services.content import draft_update
from tests.factories import (
    approve,
    make_article,
    make_reference,
    publish_approved,
    submit_and_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(author: Any, editor: Any, reviewer: Any) -> Any:
    reviewer.reviewer_profile.conflicts_of_interest = "Speaker fees (2024)."
    reviewer.reviewer_profile.save()
    trial = make_reference(title="A trial")
    article = submit_and_review(
        make_article(
            author=author,
            slug="alp",
            texts={"patient": f"Take 15 mg daily [@pmid:{trial.pmid}].", "clinician": "x"},
        ),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    comment = comment_create(
        article=article, user=reviewer, audience="patient", quote="15 mg", body="Check the dose."
    )
    article = draft_update(
        article=article,
        user=author,
        base_version=1,
        fields={"texts": {"patient": f"Take 150 mg daily [@pmid:{trial.pmid}].", "clinician": "x"}},
        change_reason="Dose fixed",
    )
    comment_resolve(article=article, user=reviewer, comment_id=comment.pk, note="Confirmed.")
    approve(article, reviewer)
    return article


def test_the_json_dossier_holds_versions_diffs_signoffs_comments_conflicts_references_and_the_trail(
    client: Client, reviewed: Any, editor: Any
) -> None:
    """One export answers the investigator's questions, with verification results."""
    client.force_login(editor)
    response = client.get("/workspace/articles/alp/dossier/?format=json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = response.json()
    assert [v["version"] for v in data["versions"]] == [1, 2]
    assert data["versions"][1]["reason"] == "Dose fixed"
    clinical = [
        c for change in data["versions"][1]["changes_from_previous"] for c in change["clinical"]
    ]
    assert clinical and "number" in clinical[0]["reasons"]
    [signoff] = data["signoffs"]
    assert signoff["meaning"] == "approved" and signoff["version"] == 2
    assert signoff["record_verifies"] and signoff["matches_version"]
    assert "version 2" in signoff["statement"]
    assert data["conflicts_declared"][0]["conflicts_of_interest"] == "Speaker fees (2024)."
    assert (
        data["comments"][0]["quote"] == "15 mg"
        and data["comments"][0]["resolved"]["note"] == "Confirmed."
    )
    assert data["references"][0]["title"] == "A trial"
    assert data["audit_chain_verifies"] is True
    assert [e["action"] for e in data["audit_trail"]][:2] == ["create", "submit"]


def test_the_printable_dossier_shows_the_same(client: Client, reviewed: Any, reviewer: Any) -> None:
    """The HTML dossier lists the signature statement and marks the dose change as clinical."""
    client.force_login(reviewer)
    html = client.get("/workspace/articles/alp/dossier/").content.decode()
    assert "Approved for medical accuracy" in html and "clinical change(s)" in html
    assert "every audit event and sign-off verifies" in html


def test_authors_and_strangers_cannot_read_the_dossier(
    client: Client, reviewed: Any, author: Any
) -> None:
    """Authors get 403; users with no role on the article get 404."""
    from accounts.roles import Role
    from tests.factories import make_user

    client.force_login(author)
    assert client.get("/workspace/articles/alp/dossier/").status_code == 403
    client.force_login(make_user(Role.AUTHOR))
    assert client.get("/workspace/articles/alp/dossier/").status_code == 404


def test_dossier_of_a_published_article(
    client: Client, author: Any, editor: Any, reviewer: Any
) -> None:
    """A published article's dossier names its live version."""
    publish_approved(
        make_article(author=author, slug="pub", citations=[make_reference()]),
        author=author,
        editor=editor,
        reviewers=[reviewer],
    )
    client.force_login(editor)
    assert (
        client.get("/workspace/articles/pub/dossier/?format=json").json()["article"]["live_version"]
        == 1
    )


def test_the_printable_audit_trail_names_actions_as_the_workflow_table_does(
    client: Client, reviewed: Any, reviewer: Any
) -> None:
    """Audit actions read "Assign reviewers / start review", not the code start_review; the
    JSON export keeps the codes. The wide tables scroll in their own named, focusable box."""
    client.force_login(reviewer)
    html = client.get("/workspace/articles/alp/dossier/").content.decode()
    assert "<td>Assign reviewers / start review</td>" in html
    assert "<td>start_review</td>" not in html
    assert (
        '<div class="table-scroll" role="region" tabindex="0" aria-labelledby="audit-title">'
        in html
    )
