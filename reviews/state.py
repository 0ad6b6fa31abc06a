"""The workflow state field that refuses every writer but the transition service.

The field is a plain CharField in the database; its attribute and its queryset refuse writes, so
no view, admin form, script or bulk update can move an article without the audit event that the
transition service writes with each move.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute


class StateWriteError(Exception):
    """Raised when code outside the transition service tries to change a workflow's state."""


# The workflow whose state the transition service is moving right now (None: no one may).
# A context variable, not a flag on the row: a second object for the same row stays protected.
_moving: ContextVar[Any] = ContextVar("editorial_workflow_moving", default=None)


@contextmanager
def state_assignable(workflow: models.Model) -> Iterator[None]:
    """Inside the block, this one object's `state` may be assigned (ArticleWorkflow.moving)."""
    token = _moving.set(workflow)
    try:
        yield
    finally:
        _moving.reset(token)


def state_assignable_now(workflow: models.Model) -> bool:
    """True inside `state_assignable(workflow)` for this very object."""
    return _moving.get() is workflow


class ProtectedState(DeferredAttribute):
    """The `state` attribute: set once when the row is built or loaded, then only while moving.

    Every other assignment raises, so no view, admin form or script can put an article in a state
    the transition table did not lead it to, nor skip the audit event that records each move.
    """

    def __set__(self, instance: models.Model, value: Any) -> None:
        name = self.field.attname
        if name in instance.__dict__ and _moving.get() is not instance:
            raise StateWriteError(
                "The workflow state changes only through the transition service "
                "(reviews.services.transitions); "
                f"refused setting it to {value!r}."
            )
        instance.__dict__[name] = value


class StateField(models.CharField):
    """A CharField whose attribute refuses assignment outside the transition service."""

    descriptor_class = ProtectedState

    def deconstruct(self) -> Any:
        # In the database and the migrations it is a plain CharField; only the attribute differs.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class WorkflowQuerySet(models.QuerySet):
    """Bulk writes of `state` are refused: they would move articles without an audit event."""

    def update(self, **kwargs: Any) -> int:
        if "state" in kwargs:
            raise StateWriteError(
                "The workflow state changes only through the transition service, never in bulk."
            )
        return super().update(**kwargs)
