"""attempt mode: normal (counts), review and preview (no credit)

Revision ID: c4e1a7d9b2f0
Revises: 67707fc0e54b
Create Date: 2026-11-30 03:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4e1a7d9b2f0"
down_revision = "67707fc0e54b"
branch_labels = None
depends_on = None


def upgrade():
    # Every attempt before this revision was a counting one.
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(length=10), server_default="normal", nullable=False)
        )
        batch_op.create_check_constraint(
            "ck_attempts_mode", "mode IN ('normal', 'review', 'preview')"
        )


def downgrade():
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.drop_constraint("ck_attempts_mode", type_="check")
        batch_op.drop_column("mode")
