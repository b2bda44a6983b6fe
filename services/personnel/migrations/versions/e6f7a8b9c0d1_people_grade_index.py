"""people list: a (grade, id) index for sorting by golongan

Sorting 50,000 people by grade (ties by id) sorted every row before an OFFSET; with
the index a page is read from it in order, as by name (ix_people_name_id). SQLite walks
it for NULLS LAST as well; PostgreSQL for ascending grade.

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
    op.create_index("ix_people_grade_id", "people", ["grade", "id"])


def downgrade():
    op.drop_index("ix_people_grade_id", table_name="people")
