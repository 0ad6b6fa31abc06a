"""schema.org JSON-LD for the public article page (MedicalWebPage)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings

from articles.audiences import audiences

if TYPE_CHECKING:
    from public.selectors.article import ArticlePage

# schema.org types for the audience keys; anything else is a MedicalAudience with a text type.
SCHEMA_AUDIENCE_TYPES = {"Patient", "Clinician", "MedicalResearcher"}


def medical_audience(schema_audience: str, label: str) -> dict[str, Any]:
    if schema_audience in SCHEMA_AUDIENCE_TYPES:
        return {"@type": schema_audience}
    return {"@type": "MedicalAudience", "audienceType": label}


def citation_item(citation: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": "ScholarlyArticle", "name": citation["text"]}
    identifiers = []
    if citation.get("doi"):
        item["url"] = f"https://doi.org/{citation['doi']}"
        identifiers.append(
            {"@type": "PropertyValue", "propertyID": "DOI", "value": citation["doi"]}
        )
    if citation.get("pmid"):
        identifiers.append(
            {"@type": "PropertyValue", "propertyID": "PMID", "value": citation["pmid"]}
        )
    if not item.get("url") and citation.get("url"):
        item["url"] = citation["url"]
    if identifiers:
        item["identifier"] = identifiers
    return item


# schema.org MedicalWebPage `aspect` values, recognised from the words of the section headings.
ASPECTS = (
    ("Causes", ("cause", "causes", "why")),
    ("Diagnosis", ("diagnosis", "diagnose", "test", "tests", "testing", "result", "means")),
    ("Symptoms", ("symptom", "symptoms", "signs")),
    ("Treatment", ("treatment", "treat", "treated", "therapy", "medicines", "doses")),
    ("Prevention", ("prevention", "prevent")),
    ("Prognosis", ("prognosis", "outlook")),
    ("Risk", ("risk", "risks", "safety", "safe", "harm")),
)
_HEADING = re.compile(r"<h[23][^>]*>(.*?)</h[23]>", re.S)


def page_aspects(body_html: str) -> list[str]:
    """The aspects the article covers, from its section headings, in schema.org's words."""
    words = {
        w for heading in _HEADING.findall(body_html) for w in re.findall(r"[a-z]+", heading.lower())
    }
    return [aspect for aspect, cues in ASPECTS if words & set(cues)]


def medical_web_page(page: ArticlePage, *, url: str) -> dict[str, Any]:
    """The JSON-LD document for one rendering of an article."""
    audience = audiences()[page.audience.key]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": page.version.title,
        "headline": page.version.title,
        "description": page.version.summary,
        "inLanguage": settings.LANGUAGE_CODE,
        "version": str(page.version.version),
        "dateModified": page.version.updated_at.isoformat(),
        "datePublished": page.article.published_at.isoformat()
        if page.article.published_at
        else None,
        "medicalAudience": medical_audience(audience.schema_audience, audience.label),
        "author": [{"@type": "Person", "name": name} for name in page.authors],
        "publisher": {"@type": "Organization", "name": settings.EDITORIAL_PUBLISHER_NAME},
        "citation": [citation_item(c) for c in page.rendition.citations],
        "about": [{"@type": "Thing", "name": name} for name, _ in page.topics],
        "aspect": page_aspects(page.rendition.body_html),
    }
    if page.approved and page.last_reviewed:
        data["lastReviewed"] = page.last_reviewed.isoformat()
        data["reviewedBy"] = [
            {
                "@type": "Person",
                "name": signoff.printed_name,
                "honorificSuffix": signoff.credentials,
                **(
                    {
                        "jobTitle": profile.specialty,
                        "url": settings.SITE_URL + profile.get_absolute_url(),
                    }
                    if (profile := page.reviewers.get(signoff.reviewer_id))
                    else {}
                ),
            }
            for signoff in page.approvals
        ]
    return {key: value for key, value in data.items() if value not in (None, "", [])}
