"""people list indexes: (name, id) for paging by name, (person_id, year, jp) for below-target

The name index alone left the id tie-break to a sort of every row before an OFFSET; the
JP index with jp in it lets the below-target sum be read from the index alone.

Revision ID: c4d1e8a7b2f6
Revises: 42e2c61b3ed7
Create Date: 2026-11-30 03:00:00

"""

from alembic import op

revision = "c4d1e8a7b2f6"
down_revision = "42e2c61b3ed7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_people_name_id", "people", ["name", "id"])
    op.drop_index("ix_people_name", table_name="people")
    op.create_index("ix_jp_entries_person_year_jp", "jp_entries", ["person_id", "year", "jp"])
    with op.batch_alter_table("jp_entries") as batch_op:
        batch_op.drop_index("ix_jp_entries_person_year")


def downgrade():
    with op.batch_alter_table("jp_entries") as batch_op:
        batch_op.create_index("ix_jp_entries_person_year", ["person_id", "year"], unique=False)
    op.drop_index("ix_jp_entries_person_year_jp", table_name="jp_entries")
    op.create_index("ix_people_name", "people", ["name"])
    op.drop_index("ix_people_name_id", table_name="people")
