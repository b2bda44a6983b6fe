"""nudges and announcements

Revision ID: b7e2c4d81a90
Revises: f1ec93124fb1
Create Date: 2026-11-30 03:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e2c4d81a90"
down_revision = "f1ec93124fb1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "nudges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("sender_id", sa.String(length=36), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "week", name="uq_nudge_person_week"),
    )
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nudges_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudges_sender_id"), ["sender_id"], unique=False)
    op.create_table(
        "announcements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(length=50), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_announcements_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcements_created_at"))
    op.drop_table("announcements")
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nudges_sender_id"))
        batch_op.drop_index(batch_op.f("ix_nudges_person_id"))
    op.drop_table("nudges")
