"""jp_entries (year, person_id, jp): the year's JP sums per person read from one index range

The unit compliance report (and the people list's below-target count on PostgreSQL) sums
one year for many people at once; (person_id, year, jp) leads with the person, so that
sum read every year's entries. Both indexes cover jp, so neither reads the table.

Revision ID: f7a8b9c0d1e2
Revises: e6f7a8b9c0d1
Create Date: 2026-11-30 09:15:00

"""

from alembic import op

revision = "f7a8b9c0d1e2"
down_revision = "e6f7a8b9c0d1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_jp_entries_year_person_jp", "jp_entries", ["year", "person_id", "jp"])


def downgrade():
    op.drop_index("ix_jp_entries_year_person_jp", table_name="jp_entries")
