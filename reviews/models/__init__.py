"""The editorial process: workflow state, assignments, sign-offs, audit events, reviewer profiles.

None of this is content: moving an article through the workflow never makes a content version.
Decisions (sign-offs, audit events) are append-only rows: the model refuses updates and deletes.
"""

from reviews.models.decisions import (
    AuditEvent,
    CheckWaiver,
    CommentResolution,
    ReviewComment,
    SignOff,
)
from reviews.models.drafting import Autosave
from reviews.models.scheduling import ScheduledRun
from reviews.models.workflow import (
    ArticleWorkflow,
    Assignment,
    Meaning,
    ReviewerProfile,
    State,
    add_months,
)

__all__ = [
    "ArticleWorkflow",
    "Assignment",
    "AuditEvent",
    "Autosave",
    "CheckWaiver",
    "CommentResolution",
    "Meaning",
    "ReviewComment",
    "ReviewerProfile",
    "ScheduledRun",
    "SignOff",
    "State",
    "add_months",
]
