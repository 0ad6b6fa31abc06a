"""The replica router as the suite runs it."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from editorial.replicas import ReplicaRouter


class TestCaseReplicaRouter(ReplicaRouter):
    """Every database test runs inside an atomic block of its own (Django's TestCase); only the
    blocks the code under test opens count as a transaction."""

    def in_transaction(self, connection: BaseDatabaseWrapper) -> bool:
        return any(not block._from_testcase for block in connection.atomic_blocks)
