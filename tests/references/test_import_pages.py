"""The import pages: problems by record, line and field; merge or keep each possible duplicate;
skipping invalid records by choice; choices bound to the confirmed plan; big files by tasks."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from references import views
from references.importing import jobs
from references.models import Reference, ReferenceImport
from tests.factories import make_reference
from tests.references.test_importers import editor_client, upload

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

GOOD = "TY  - JOUR\nAU  - Foster, B. L.\nTI  - Enamel in hypophosphatasia\nPY  - 2014\nDO  - 10.1000/good\nER  - \n"
BAD_DOI = (
    "TY  - JOUR\nAU  - Whyte, M. P.\nTI  - Asfotase alfa\nPY  - 2012\nDO  - not-a-doi\nER  - \n"
)
POSSIBLE = (
    "TY  - JOUR\nAU  - Rush, E. T.\nTI  - Burosumab in adults\nPY  - 2019\n"
    "JO  - Journal of Bone and Mineral Research\nDO  - 10.1000/buro\nER  - \n"
)


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def existing_possible_duplicate() -> Reference:
    return make_reference(
        authors=[{"family": "Rush", "initials": "ET"}],
        title="Burosumab in adults",
        year=2019,
        journal="J Bone Miner Res",
        pmid="",
    )


@pytest.mark.django_db
class TestInvalidRecords:
    def test_preview_lists_each_problem_with_record_line_and_field_and_offers_to_skip(
        self, editor: Any
    ) -> None:
        client = editor_client(editor)
        response = upload(client, "mixed.ris", (GOOD + "\n" + BAD_DOI).encode())
        html = response.content.decode()
        assert response.status_code == 422
        problem = response.context["summary"]["problems"][0]
        assert (problem["file"], problem["record"], problem["line"], problem["field"]) == (
            "mixed.ris",
            2,
            12,
            "doi (DO)",
        )
        assert "<td>mixed.ris</td><td>2</td><td>12</td><td>doi (DO)</td>" in html
        assert "Skip the invalid records and import the rest" in html
        assert 'name="skip_invalid">' in html  # not ticked: all or nothing stays the default
        assert not Reference.objects.exists()

    def test_a_valid_file_offers_no_skipping(self, editor: Any) -> None:
        response = upload(editor_client(editor), "good.ris", GOOD.encode())
        assert response.status_code == 200
        assert "Skip the invalid records" not in response.content.decode()

    def test_confirming_without_skipping_still_refuses_the_whole_file(self, editor: Any) -> None:
        client = editor_client(editor)
        preview = upload(client, "mixed.ris", (GOOD + "\n" + BAD_DOI).encode())
        response = post(
            client, "/references/import/confirm/", {"sha256": preview.context["sha256"], "plan": ""}
        )
        assert response.status_code == 422
        assert not Reference.objects.exists()
        assert not ReferenceImport.objects.exists()

    def test_skipping_from_the_page_imports_the_rest_and_the_report_keeps_the_skipped(
        self, editor: Any
    ) -> None:
        client = editor_client(editor)
        preview = upload(client, "mixed.ris", (GOOD + "\n" + BAD_DOI).encode())
        sha256 = preview.context["sha256"]
        chosen = post(
            client, "/references/import/choices/", {"sha256": sha256, "skip_invalid": "on"}
        )
        assert chosen.status_code == 200
        assert "Skipped: 1 invalid record" in chosen.content.decode()
        assert not Reference.objects.exists()
        done = post(
            client,
            "/references/import/confirm/",
            {"sha256": sha256, "plan": chosen.context["summary"]["digest"], "skip_invalid": "on"},
        )
        assert done.status_code == 302
        assert list(Reference.objects.values_list("doi", flat=True)) == ["10.1000/good"]
        report = client.get(done["Location"]).content.decode()
        assert "1 invalid record(s) skipped." in report
        assert "<td>mixed.ris</td><td>2</td><td>12</td><td>doi (DO)</td>" in report
        (record,) = ReferenceImport.objects.all()
        assert record.report["counts"]["skipped"] == 1
        assert record.report["created"] == [Reference.objects.get().citekey]


@pytest.mark.django_db
class TestPossibleDuplicates:
    def test_each_possible_duplicate_is_offered_with_keep_both_chosen(self, editor: Any) -> None:
        existing = existing_possible_duplicate()
        response = upload(editor_client(editor), "r.ris", POSSIBLE.encode())
        html = response.content.decode()
        assert f"Merge into “{existing.citekey}”" in html
        assert 'name="merge-1" value="keep" checked' in html
        assert 'name="merge-1" value="merge">' in html

    def test_keep_both_creates_a_second_reference(self, editor: Any) -> None:
        existing_possible_duplicate()
        client = editor_client(editor)
        preview = upload(client, "r.ris", POSSIBLE.encode())
        done = post(
            client,
            "/references/import/confirm/",
            {
                "sha256": preview.context["sha256"],
                "plan": preview.context["summary"]["digest"],
                "merge-1": "keep",
            },
        )
        assert done.status_code == 302
        assert Reference.objects.count() == 2

    def test_merge_fills_the_library_reference_instead(self, editor: Any) -> None:
        existing = existing_possible_duplicate()
        client = editor_client(editor)
        preview = upload(client, "r.ris", POSSIBLE.encode())
        sha256 = preview.context["sha256"]
        chosen = post(client, "/references/import/choices/", {"sha256": sha256, "merge-1": "merge"})
        assert 'name="merge-1" value="merge" checked' in chosen.content.decode()
        done = post(
            client,
            "/references/import/confirm/",
            {"sha256": sha256, "plan": chosen.context["summary"]["digest"], "merge-1": "merge"},
        )
        assert done.status_code == 302
        assert Reference.objects.count() == 1
        existing.refresh_from_db()
        assert existing.doi == "10.1000/buro"
        record = ReferenceImport.objects.get()
        assert record.report["merged"] == [{"record": 1, "citekey": existing.citekey}]

    def test_a_confirm_with_other_choices_than_the_preview_is_refused(self, editor: Any) -> None:
        """Forged: "merge" sent with the digest of the keep-both preview; nothing is written."""
        existing_possible_duplicate()
        client = editor_client(editor)
        preview = upload(client, "r.ris", POSSIBLE.encode())
        response = post(
            client,
            "/references/import/confirm/",
            {
                "sha256": preview.context["sha256"],
                "plan": preview.context["summary"]["digest"],
                "merge-1": "merge",
            },
        )
        assert response.status_code == 409
        assert "other choices than the previewed ones" in response.content.decode()
        assert Reference.objects.count() == 1
        assert Reference.objects.get().doi == ""
        assert not ReferenceImport.objects.exists()


def run_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """`manage.py db_worker --batch` (the test's connection stays open, see test_mail_tasks)."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval=0", verbosity=0
    )


def ris_records(count: int) -> bytes:
    return "\n".join(
        f"TY  - JOUR\nAU  - Foster, B. L.\nTI  - Study {n} of enamel\nPY  - 2014\n"
        f"DO  - 10.1000/big.{n}\nER  - \n"
        for n in range(count)
    ).encode()


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_TASKS)
def test_a_big_file_is_previewed_and_imported_by_tasks_with_a_status_page(
    editor: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """The requests only queue; the worker previews, then imports; the page follows it."""
    monkeypatch.setattr(views, "BACKGROUND_BYTES", 1000)
    client = editor_client(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "big.ris", ris_records(40) + b"\n" + BAD_DOI.encode())
    assert response.status_code == 302
    job = ReferenceImport.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "Checking the file" in page and 'http-equiv="refresh"' in page
    assert DBTaskResult.objects.count() == 1
    run_worker(monkeypatch)
    preview = client.get(response["Location"])
    assert preview.status_code == 422  # record 41 is invalid: refused unless skipped
    assert "Skip the invalid records and import the rest" in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, f"/references/import/{job.pk}/choices/", {"skip_invalid": "on"})
    run_worker(monkeypatch)
    preview = client.get(response["Location"])
    summary = preview.context["summary"]
    assert summary["ok"] and summary["total"] == 40 and summary["skipped_records"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        queued = post(
            client,
            f"/references/import/{job.pk}/confirm/",
            {"sha256": job.sha256, "plan": summary["digest"], "skip_invalid": "on"},
        )
    assert queued.status_code == 302
    page = client.get(queued["Location"]).content.decode()
    assert "Queued" in page and 'http-equiv="refresh"' in page
    assert not Reference.objects.exists()  # the request did not import

    seen: list[str] = []
    real_import = jobs.references_import

    def import_and_look(**kwargs: Any) -> Any:
        plan = real_import(**kwargs)
        seen.append(client.get(queued["Location"]).content.decode())  # still running
        return plan

    monkeypatch.setattr(jobs, "references_import", import_and_look)
    run_worker(monkeypatch)
    assert "Importing" in seen[0] and "Writing: 40 of 40 records." in seen[0]
    assert Reference.objects.count() == 40
    report = client.get(queued["Location"]).content.decode()
    assert "40 created, 0 updated, 0 duplicate, 0 merged" in report
    assert "1 invalid record skipped" in report
    assert "<td>big.ris</td><td>41</td>" in report
    assert 'http-equiv="refresh"' not in report
    job.refresh_from_db()
    assert job.status == ReferenceImport.Status.DONE and bytes(job.data) == b""


@pytest.mark.django_db
def test_a_big_confirm_with_other_choices_than_the_preview_is_refused(
    editor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "BACKGROUND_BYTES", 100)
    existing_possible_duplicate()
    client = editor_client(editor)
    upload(client, "r.ris", POSSIBLE.encode())
    job = ReferenceImport.objects.get()
    jobs.plan_reference_import.call(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ReferenceImport.Status.PREVIEWED
    response = post(
        client,
        f"/references/import/{job.pk}/confirm/",
        {"sha256": job.sha256, "plan": job.digest, "merge-1": "merge"},
    )
    assert response.status_code == 409
    job.refresh_from_db()
    assert job.status == ReferenceImport.Status.PREVIEWED
    assert Reference.objects.count() == 1


@pytest.mark.django_db
def test_other_users_cannot_see_an_import(author: Any, editor: Any) -> None:
    record = ReferenceImport.objects.create(filename="x.ris", sha256="0" * 64, created_by=editor)
    client = Client()
    client.force_login(author)
    assert client.get(f"/references/import/{record.pk}/").status_code == 403
