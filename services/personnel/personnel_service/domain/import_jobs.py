"""People imports as background jobs: a 50,000-row file outlasts the gateway's read timeout.

The upload is kept in memory and handed to a thread of the same worker, which runs the
ordinary importer with a progress callback that commits the job row after each chunk.
The page polls the job. A worker that dies mid-import leaves a job whose heartbeat
(`updated_at`) stops: after STALL_AFTER it reads as failed, and the file may be imported
again (an import is an upsert by NIP, so rows already written are simply unchanged).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, timedelta
from enum import StrEnum
from typing import Any

from cakap_shared.db import utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import Flask, current_app

from ..extensions import db
from ..models import ImportJob
from . import people_import

log = logging.getLogger("personnel.import_jobs")
STALL_AFTER = timedelta(minutes=10)


class ImportStatus(StrEnum):
    """Where a background import is: waiting for its thread, importing, or ended."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUNNING = (ImportStatus.QUEUED, ImportStatus.RUNNING)


class ImportJobReport:
    """A job as the API shows it: the row errors read, and a stopped heartbeat as failed."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.status, self.detail = ImportStatus(job.status), job.detail
        if self.status in RUNNING and _stalled(job):
            self.status = ImportStatus.FAILED
            self.detail = "The import stopped (the service restarted); import again."
        self.errors = json.loads(job.errors or "[]")
        self.error_count = len(self.errors)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.job, name)


def start(data: bytes, filename: str, actor: str) -> ImportJobReport:
    """Record a queued job, start its thread and audit; 413 over IMPORT_MAX_BYTES."""
    if len(data) > current_app.config["IMPORT_MAX_BYTES"]:
        raise CakapError(413, "The file is larger than the import limit.")
    job = ImportJob(
        status=ImportStatus.QUEUED, stage="queued", filename=filename[:200], created_by=actor
    )
    db.session.add(job)
    db.session.commit()
    audit("people.import_started", actor=actor, job_id=job.id)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=run, args=(app, job.id, data), name=f"import-{job.id}", daemon=True
    )
    thread.start()
    return ImportJobReport(job)


def run(app: Flask, job_id: str, data: bytes) -> None:
    """The thread: import, recording progress, then the result or why it failed."""
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        if job is None:
            return
        job.status = ImportStatus.RUNNING
        db.session.commit()

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.rows_done, job.rows_total = stage, done, total
            db.session.commit()

        try:
            result = people_import.import_people(data, progress, job_id)
        except CakapError as err:
            db.session.rollback()
            _finish(job, ImportStatus.FAILED, detail=str(err.description)[:500])
        except Exception:
            log.exception("import job %s failed", job_id)
            db.session.rollback()
            _finish(job, ImportStatus.FAILED, detail="The import stopped on an internal error.")
        else:
            job.created, job.updated = result["created"], result["updated"]
            job.unchanged = result["unchanged"]
            job.errors = json.dumps(result["errors"])
            _finish(job, ImportStatus.DONE, detail=None)
        finally:
            db.session.remove()


def _finish(job: ImportJob, status: ImportStatus, detail: str | None) -> None:
    job.status, job.stage, job.detail = status, status, detail
    job.finished_at = utcnow()
    db.session.commit()


def get(job_id: str) -> ImportJob:
    """A job, or 404."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise CakapError(404, "No such import job.")
    return job


def report(job_id: str) -> ImportJobReport:
    """A job's progress, then its counts and row errors; 404 for an unknown job."""
    return ImportJobReport(get(job_id))


def _stalled(job: ImportJob) -> bool:
    beat = job.updated_at or job.created_at
    if beat.tzinfo is None:  # SQLite returns naive UTC
        beat = beat.replace(tzinfo=UTC)
    return utcnow() - beat > STALL_AFTER


def error_rows(job_id: str) -> list[list[Any]]:
    """The row errors of a job as file rows: line, field, message; 404 for an unknown job."""
    return [[e["row"], e["field"], e["message"]] for e in json.loads(get(job_id).errors or "[]")]
