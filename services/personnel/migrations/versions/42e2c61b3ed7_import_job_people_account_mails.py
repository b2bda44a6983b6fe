"""import_job_people (who an import created) and account_mails (mails sent by notification)

Revision ID: 42e2c61b3ed7
Revises: d5e6f7a8b9c0
Create Date: 2026-11-30 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "42e2c61b3ed7"
down_revision = "d5e6f7a8b9c0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_job_people",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["import_jobs.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("job_id", "person_id"),
    )
    op.create_index("ix_import_job_people_person_id", "import_job_people", ["person_id"])
    op.create_table(
        "account_mails",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("codes_issued", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_mails_account_id", "account_mails", ["account_id"])


def downgrade():
    op.drop_index("ix_account_mails_account_id", table_name="account_mails")
    op.drop_table("account_mails")
    op.drop_index("ix_import_job_people_person_id", table_name="import_job_people")
    op.drop_table("import_job_people")
