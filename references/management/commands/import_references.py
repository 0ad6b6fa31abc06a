"""Import a reference file (RIS, BibTeX, MEDLINE/.nbib, CSL-JSON) into the library.

All or nothing by default: every record is checked first, and one problem refuses the whole file
with the file, record and line named, and a non-zero exit status. `--skip-invalid` imports the
valid records in one transaction and lists every skipped record with its problems.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from references.importing import ImportRefused, references_import
from references.parsers import Format

MAX_BYTES = 100 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import references from FILE; the format comes from the extension (.ris, .bib, .nbib, "
        ".medline, .txt, .json) unless --format says it. Matches the library by DOI, PMID, then "
        "title and year; fills missing fields, never overwrites."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format", choices=Format.values, dest="fmt", help="The file's format."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; write nothing."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid records and skip (and list) the invalid ones.",
        )

    def handle(
        self,
        *args: Any,
        file: Path,
        fmt: str | None,
        dry_run: bool,
        no_progress: bool,
        skip_invalid: bool = False,
        **options: Any,
    ) -> None:
        data = self.read(file)
        bars: list[tqdm] = []
        # tqdm draws with carriage returns on the raw stream (self.stderr would add newlines).
        stream = options.get("stderr") or sys.stderr
        show = not no_progress and hasattr(stream, "isatty") and stream.isatty()

        def progress(phase: str, total: int) -> Callable[[int], None]:
            for done in bars:
                done.close()  # one bar per phase: the previous phase is over
            bar = tqdm(
                total=total,
                desc=phase,
                unit=" refs",
                file=stream,
                disable=not show,
                leave=show,
                mininterval=0.2,
            )
            bars.append(bar)
            return bar.update

        try:
            plan = references_import(
                data=data,
                filename=file.name,
                fmt=fmt,
                dry_run=dry_run,
                progress=progress,
                skip_invalid=skip_invalid,
            )
        except ImportRefused as refused:
            lines = refused.plan.messages()
            raise CommandError(
                f"{file} refused, nothing written ({len(lines)} problem{'s' if len(lines) != 1 else ''}):\n"
                + "\n".join(f"  {line}" for line in lines)
            ) from None
        finally:
            for bar in bars:
                bar.close()
        counts = plan.counts
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {file.name} ({plan.format.label if plan.format else ''}): {counts['create']} created, "
                f"{counts['update']} updated, {counts['duplicate']} duplicate."
                + (" Dry run: nothing written." if dry_run else "")
            )
        )
        if plan.skipped:
            skipped = plan.skipped_records
            self.stdout.write(
                f"Skipped {len(skipped)} invalid record{'s' if len(skipped) != 1 else ''} "
                f"({', '.join(map(str, skipped))}):"
            )
            for line in plan.skipped_messages():
                self.stdout.write(f"  {line}")
        for row in plan.rows:
            if row.possible:
                self.stdout.write(f"  {row.citekey}: {row.possible} Kept apart.")
        if options.get("verbosity", 1) > 1:
            for row in plan.rows:
                detail = f" (matched by {row.matched_by})" if row.matched_by else ""
                filled = f": filled {', '.join(row.filled)}" if row.filled else ""
                self.stdout.write(f"  {row.action.value:9} {row.citekey}{detail}{filled}")
        for row in plan.rows:
            for name, old, new in row.kept:
                self.stderr.write(
                    f"  {row.citekey}: kept the library's {name} “{old}”; the file says “{new}”."
                )

    def read(self, file: Path) -> bytes:
        try:
            size = file.stat().st_size
            if size > MAX_BYTES:
                raise CommandError(
                    f"{file} is {size // (1024 * 1024)} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB."
                )
            return file.read_bytes()
        except IsADirectoryError:
            raise CommandError(f"{file} is a folder, not a file.") from None
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}.") from None
