"""outbox delivery indexes: a subscriber's queue in event order, and an aggregate's lane

The delivery loop reads each subscriber's pending deliveries oldest (and newest) first, a
batch at a time, and the earliest pending one of an aggregate (order per aggregate); with
only the status index each read sorted the whole backlog (issue 20).

Revision ID: f0a1c2e3d4b6
Revises: a7d3c2e91f04
Create Date: 2026-11-30 09:30:00

"""

from alembic import op

revision = "f0a1c2e3d4b6"
down_revision = "a7d3c2e91f04"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_outbox_deliveries_queue", "outbox_deliveries", ["subscriber", "status", "event_seq"]
    )
    op.create_index(
        "ix_outbox_deliveries_lane",
        "outbox_deliveries",
        ["subscriber", "aggregate_id", "status", "event_seq"],
    )


def downgrade():
    op.drop_index("ix_outbox_deliveries_lane", table_name="outbox_deliveries")
    op.drop_index("ix_outbox_deliveries_queue", table_name="outbox_deliveries")
