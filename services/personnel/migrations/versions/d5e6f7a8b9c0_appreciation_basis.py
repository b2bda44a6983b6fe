"""appreciation basis: a completed training (its course) or a shown improvement

Revision ID: d5e6f7a8b9c0
Revises: c4d5e6f7a8b9
Create Date: 2026-11-30 03:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d5e6f7a8b9c0"
down_revision = "c4d5e6f7a8b9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appreciations") as batch:
        batch.add_column(sa.Column("basis", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("course_code", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("course_title", sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table("appreciations") as batch:
        batch.drop_column("course_title")
        batch.drop_column("course_code")
        batch.drop_column("basis")
