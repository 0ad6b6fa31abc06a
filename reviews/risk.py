"""How many approvals a version needs and why: computed from its text, or set by an editor.

Nobody ticks a box: each save of the content records the dose statements of every audience's
text on the workflow (`assess`), and a version with any needs the high-risk quorum. An editor may
raise or lower the number with a reason (reviews.services.risk); `explanation` says which of the
two decides, in the words the workspace and the dossier show.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.conf import settings

from articles.audiences import audiences
from articles.doses import version_doses

if TYPE_CHECKING:
    from reviews.models import ArticleWorkflow

# Enough to say why; the reviewer reads the whole text anyway.
STATEMENTS_KEPT = 5

# A board that can be asked for more than this on one version is not a board most sites have.
MAX_APPROVALS = 5

POLICY_NEVER = "never"
POLICY_LOW_RISK = "low-risk"
POLICY_ALWAYS = "always"
POLICY_TEXT = {
    POLICY_NEVER: "never (content goes live only once signed)",
    POLICY_LOW_RISK: "low-risk content only (not dose statements, nor content an editor raised)",
    POLICY_ALWAYS: "always allowed",
}


def assess(*, workflow: ArticleWorkflow, texts: Mapping[str, str]) -> list[str]:
    """Record on the workflow the dose statements of a version's texts; the fields it changed.

    The caller saves those fields in the transaction that saved the version.
    """
    found = version_doses(texts)
    statements = [[d.audience, d.text] for d in found[:STATEMENTS_KEPT]]
    changed = []
    if workflow.high_risk != bool(found):
        workflow.high_risk = bool(found)
        changed.append("high_risk")
    if workflow.dose_statements != statements:
        workflow.dose_statements = statements
        changed.append("dose_statements")
    return changed


def _audience_label(key: str) -> str:
    audience = audiences().get(key)
    return f"{audience.label.lower()} text" if audience else f"{key} text"


def computed_reason(*, workflow: ArticleWorkflow) -> str:
    """Why the content asks for the number it does."""
    if workflow.high_risk:
        quoted = "; ".join(
            f"‘{text}’ ({_audience_label(key)})" for key, text in workflow.dose_statements
        )
        more = "…" if len(workflow.dose_statements) >= STATEMENTS_KEPT else ""
        # Rows written before the statements were kept (or by the bench) say less, not nothing.
        return f"dose statements found: {quoted}{more}" if quoted else "dose statements found"
    if workflow.required_approvals > 1:
        return "set for this article"
    return "no dose statements found"


def explanation(*, workflow: ArticleWorkflow) -> str:
    """One sentence: how many approvals the version needs, and why."""
    need = workflow.approvals_needed
    noun = "approval" if need == 1 else "approvals"
    computed = workflow.approvals_computed
    if workflow.approvals_override is not None and need != computed:
        direction = "lowered" if need < computed else "raised"
        return (
            f"Needs {need} {noun}: {direction} by an editor from {computed} "
            f"({computed_reason(workflow=workflow)}). Reason: "
            f"{workflow.approvals_override_reason}"
        )
    return f"Needs {need} {noun}: {computed_reason(workflow=workflow)}."


def publish_pending_policy() -> str:
    """EDITORIAL_PUBLISH_PENDING_REVIEW: never, low-risk (the default) or always."""
    return getattr(settings, "EDITORIAL_PUBLISH_PENDING_REVIEW", POLICY_LOW_RISK)


def pending_review_refusal(*, workflow: ArticleWorkflow) -> str:
    """Why this article may not go live before the board signs under the site's policy, or ""."""
    policy = publish_pending_policy()
    if policy == POLICY_NEVER:
        return (
            "This site does not publish content pending review "
            "(EDITORIAL_PUBLISH_PENDING_REVIEW = never); it goes live once the board signs."
        )
    if policy == POLICY_LOW_RISK and workflow.needs_high_risk_quorum:
        return (
            "High-risk content cannot go live before the board signs "
            f"(EDITORIAL_PUBLISH_PENDING_REVIEW = low-risk). {explanation(workflow=workflow)}"
        )
    return ""
