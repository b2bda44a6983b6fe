"""jp_entries (year, person_id, jp): the year's JP sums per person read from one index range

The unit compliance report (and the people list's below-target count on PostgreSQL) sums
one year for many people at once; (person_id, year, jp) leads with the person, so that
sum read every year's entries. Both indexes cover jp, so neither reads the table.

Revision ID: e6f7a8b9c0d1
Revises: c4d1e8a7b2f6
Create Date: 2026-11-30 09:15:00

"""

from alembic import op

revision = "e6f7a8b9c0d1"
down_revision = "c4d1e8a7b2f6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_jp_entries_year_person_jp", "jp_entries", ["year", "person_id", "jp"])


def downgrade():
    op.drop_index("ix_jp_entries_year_person_jp", table_name="jp_entries")
