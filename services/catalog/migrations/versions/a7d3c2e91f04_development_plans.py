"""development plans: an ASN's courses for the year, approved by the supervisor

Expand-only: two new tables, nothing existing changes.

Revision ID: a7d3c2e91f04
Revises: 2bf896dd3351
Create Date: 2026-11-30 04:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a7d3c2e91f04"
down_revision = "2bf896dd3351"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "development_plans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("person_name", sa.String(length=200), nullable=False),
        sa.Column("unit_code", sa.String(length=50), nullable=True),
        sa.Column("supervisor_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("supervisor_comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'returned')",
            name="ck_development_plans_status",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "year", name="uq_development_plans_person_year"),
    )
    with op.batch_alter_table("development_plans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_development_plans_supervisor_status", ["supervisor_id", "status"], unique=False
        )
    op.create_table(
        "development_plan_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("course_id", sa.String(length=36), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"]),
        sa.ForeignKeyConstraint(["plan_id"], ["development_plans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "course_id", name="uq_development_plan_items_course"),
    )
    with op.batch_alter_table("development_plan_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_development_plan_items_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_development_plan_items_plan_id"), ["plan_id"], unique=False
        )


def downgrade():
    op.drop_table("development_plan_items")
    op.drop_table("development_plans")
