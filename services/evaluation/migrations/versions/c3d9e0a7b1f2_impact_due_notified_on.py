"""impact evaluations remember when their due day was announced

Revision ID: c3d9e0a7b1f2
Revises: a8551c5a5287
Create Date: 2026-11-30 03:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3d9e0a7b1f2"
down_revision = "a8551c5a5287"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("impact_evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_notified_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("impact_evaluations", schema=None) as batch_op:
        batch_op.drop_column("due_notified_on")
