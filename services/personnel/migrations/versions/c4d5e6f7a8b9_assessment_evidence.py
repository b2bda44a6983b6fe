"""assessment evidence: levels recorded from completed trainings and impact evaluations

Revision ID: c4d5e6f7a8b9
Revises: 3e50516697ae
Create Date: 2026-11-30 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c4d5e6f7a8b9"
down_revision = "3e50516697ae"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("competency_assessments") as batch:
        batch.add_column(sa.Column("source_ref", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("evidence", sa.String(length=300), nullable=True))
        batch.create_unique_constraint(
            "uq_assessment_evidence", ["person_id", "competency_code", "source_ref"]
        )


def downgrade():
    with op.batch_alter_table("competency_assessments") as batch:
        batch.drop_constraint("uq_assessment_evidence", type_="unique")
        batch.drop_column("evidence")
        batch.drop_column("source_ref")
