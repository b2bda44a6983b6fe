"""essay grading on attempts

Revision ID: a8551c5a5287
Revises: 5a582d375b1e
Create Date: 2026-11-28 21:47:10.759217

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a8551c5a5287"
down_revision = "5a582d375b1e"
branch_labels = None
depends_on = None

attempts = sa.table(
    "attempts",
    sa.column("id", sa.String),
    sa.column("status", sa.String),
    sa.column("results", sa.JSON),
    sa.column("passed", sa.Boolean),
    sa.column("submitted_at", sa.DateTime(timezone=True)),
    sa.column("pending_review", sa.Boolean),
    sa.column("passed_published_at", sa.DateTime(timezone=True)),
)


def upgrade():
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pending_review", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("manual_grades", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("passed_published_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_attempts_pending_review"), ["pending_review"], unique=False
        )

    bind = op.get_bind()
    # Closed attempts with an ungraded essay await review; a passed attempt has
    # already announced assessment.passed when it was graded at submission.
    rows = bind.execute(
        sa.select(attempts.c.id, attempts.c.results).where(attempts.c.status != "open")
    ).all()
    for attempt_id, results in rows:
        if any(r.get("pending") for r in results or []):
            bind.execute(
                attempts.update().where(attempts.c.id == attempt_id).values(pending_review=True)
            )
    bind.execute(
        attempts.update()
        .where(attempts.c.passed.is_(True))
        .values(passed_published_at=attempts.c.submitted_at)
    )


def downgrade():
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempts_pending_review"))
        batch_op.drop_column("passed_published_at")
        batch_op.drop_column("manual_grades")
        batch_op.drop_column("pending_review")
