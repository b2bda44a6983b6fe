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
from typing import Any

from cakap_shared.db import utcnow
from cakap_shared.problems import CakapError
from flask import Flask, current_app

from ..extensions import db
from ..models import ImportJob
from . import people_import

log = logging.getLogger("personnel.import_jobs")
STALL_AFTER = timedelta(minutes=10)
RUNNING = ("queued", "running")


def start(data: bytes, filename: str, actor: str) -> ImportJob:
    """Record a queued job and start its thread."""
    job = ImportJob(status="queued", stage="queued", filename=filename[:200], created_by=actor)
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=run, args=(app, job.id, data), name=f"import-{job.id}", daemon=True
    )
    thread.start()
    return job


def run(app: Flask, job_id: str, data: bytes) -> None:
    """The thread: import, recording progress, then the result or why it failed."""
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        if job is None:
            return
        job.status = "running"
        db.session.commit()

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.rows_done, job.rows_total = stage, done, total
            db.session.commit()

        try:
            result = people_import.import_people(data, progress, job_id)
        except CakapError as err:
            db.session.rollback()
            _finish(job, "failed", detail=str(err.description)[:500])
        except Exception:
            log.exception("import job %s failed", job_id)
            db.session.rollback()
            _finish(job, "failed", detail="The import stopped on an internal error.")
        else:
            job.created, job.updated = result["created"], result["updated"]
            job.unchanged = result["unchanged"]
            job.errors = json.dumps(result["errors"])
            _finish(job, "done", detail=None)
        finally:
            db.session.remove()


def _finish(job: ImportJob, status: str, detail: str | None) -> None:
    job.status, job.stage, job.detail = status, status, detail
    job.finished_at = utcnow()
    db.session.commit()


def get(job_id: str) -> ImportJob:
    """A job, or 404."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise CakapError(404, "No such import job.")
    return job


def view(job: ImportJob) -> dict[str, Any]:
    """The job as the API shows it; a job whose heartbeat stopped reads as failed."""
    status, detail = job.status, job.detail
    if status in RUNNING and _stalled(job):
        status, detail = "failed", "The import stopped (the service restarted); import again."
    errors = json.loads(job.errors or "[]")
    return {
        "id": job.id,
        "status": status,
        "stage": job.stage,
        "filename": job.filename,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "error_count": len(errors),
        "errors": errors,
        "detail": detail,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def _stalled(job: ImportJob) -> bool:
    beat = job.updated_at or job.created_at
    if beat.tzinfo is None:  # SQLite returns naive UTC
        beat = beat.replace(tzinfo=UTC)
    return utcnow() - beat > STALL_AFTER


def error_rows(job: ImportJob) -> list[list[Any]]:
    """The row errors as file rows: line, field, message."""
    return [[e["row"], e["field"], e["message"]] for e in json.loads(job.errors or "[]")]
