"""Scheduled jobs of the evaluation service, as CLI commands (run them from cron)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .domain.attempts import close_overdue_attempts


@click.command("close-overdue-attempts")
@with_appcontext
def close_overdue_attempts_command() -> None:
    """Close and grade every open attempt whose deadline has passed."""
    click.echo(f"evaluation: closed {close_overdue_attempts()} overdue attempts")


@click.command("remind-impact-evaluations")
@with_appcontext
def remind_impact_evaluations_command() -> None:
    """Remind supervisors of evaluations falling due, tell them on the due day; escalate
    those overdue 30 days."""
    from .domain.impact import run_reminders

    report = run_reminders()
    click.echo(
        f"evaluation: reminded {len(report['reminded'])}, due {len(report['due'])}, "
        f"escalated {len(report['escalated'])}, "
        f"skipped {len(report['skipped'])} impact evaluations"
    )
