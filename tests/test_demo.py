"""load_demo: the demo site a newcomer gets from `make run`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client, override_settings

from articles.models import Article
from references.models import Reference
from reviews.models import AuditEvent, SignOff, State

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_load_demo_builds_the_documented_site_and_is_idempotent(client: Client) -> None:
    """Accounts, four articles in their documented states, real references; a second run changes nothing."""
    call_command("load_demo", stdout=open("/dev/null", "w"))
    counts = (
        Article.objects.count(),
        Reference.objects.count(),
        SignOff.objects.count(),
        AuditEvent.objects.count(),
    )
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert (
        Article.objects.count(),
        Reference.objects.count(),
        SignOff.objects.count(),
        AuditEvent.objects.count(),
    ) == counts

    states = {
        a.slug: (a.workflow.state, a.live_version_id is not None, a.live_pending_review)
        for a in Article.objects.select_related("workflow")
    }
    assert states == {
        "low-alkaline-phosphatase": (State.APPROVED, True, False),
        "antiresorptives-in-adult-hypophosphatasia": (State.UNDER_REVIEW, True, True),
        "xlh-or-hypophosphatasia": (State.APPROVED, True, False),
        "high-alkaline-phosphatase-kidney-disease": (State.DRAFT, False, False),
    }
    main = Article.objects.get(slug="low-alkaline-phosphatase")
    assert set(main.texts) == {"patient", "caregiver", "student", "clinician"}
    assert SignOff.objects.filter(article=main, content_hash=main.content_hash).count() == 2
    assert Reference.objects.get(pmid="30288020").citekey == "bowden-2018"
    assert Reference.objects.get(citekey="haffner-2019").superseded_by.citekey == "haffner-2025"

    # Axes needs a request to count an attempt on; Client.login() gives none of its own.
    assert client.login(request=HttpRequest(), username="editor", password="editorial-demo-2026")
    client.logout()
    for audience in ("patient", "caregiver", "student", "clinician"):
        response = client.get(f"/articles/low-alkaline-phosphatase/?audience={audience}")
        assert response.status_code == 200
        assert "Medically reviewed by" in response.content.decode()
    # The article with doses waits for two signatures; the one without went live unsigned.
    xlh = Article.objects.select_related("workflow").get(slug="xlh-or-hypophosphatasia")
    assert xlh.workflow.approvals_needed == 2
    assert SignOff.objects.filter(article=xlh, content_hash=xlh.content_hash).count() == 2
    fallback = client.get("/articles/xlh-or-hypophosphatasia/?audience=caregiver").content.decode()
    assert "There is no caregiver version" in fallback
    pending = client.get(
        "/articles/antiresorptives-in-adult-hypophosphatasia/?audience=caregiver"
    ).content.decode()
    assert "pending review" in pending
    assert client.get("/articles/high-alkaline-phosphatase-kidney-disease/").status_code == 404
    listing = client.get(
        "/articles/antiresorptives-in-adult-hypophosphatasia/?audience=patient"
    ).content.decode()
    further = listing[listing.index(">Further reading</h2>") :]
    assert (
        "Hypophosphatasia: a unique disorder of bone mineralization"
        in further.split("</section>")[0]
    )
    assert client.get("/pages/editorial-policy/").status_code == 200
    assert "Dr Elspeth Varrow" in client.get("/board/").content.decode()


def test_load_demo_refuses_demo_accounts_when_debug_is_off() -> None:
    """With DEBUG off the command stops and writes nothing, unless forced."""
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo")
    assert not Article.objects.exists()
