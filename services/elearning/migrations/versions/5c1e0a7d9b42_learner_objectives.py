"""learner objectives: SCORM 2004 global objectives shared across a learner's modules

Revision ID: 5c1e0a7d9b42
Revises: c4e1a7d9b2f0
Create Date: 2026-11-30 03:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5c1e0a7d9b42"
down_revision = "c4e1a7d9b2f0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "learner_objectives",
        sa.Column("learner_id", sa.String(length=80), nullable=False),
        sa.Column("objective_id", sa.String(length=255), nullable=False),
        sa.Column("status_known", sa.Boolean(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("measure_known", sa.Boolean(), nullable=False),
        sa.Column("measure", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("learner_id", "objective_id"),
    )


def downgrade():
    op.drop_table("learner_objectives")
