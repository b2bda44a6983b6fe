"""attempt access_confirmed_at: when catalog last allowed a runtime commit

Revision ID: 9d2f4b7c1e63
Revises: 5c1e0a7d9b42
Create Date: 2026-11-30 09:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9d2f4b7c1e63"
down_revision = "5c1e0a7d9b42"
branch_labels = None
depends_on = None


def upgrade():
    # Expand only (ADR 0009): a nullable column older code never reads; NULL means
    # "ask catalog on the next commit".
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.add_column(
            sa.Column("access_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.drop_column("access_confirmed_at")
