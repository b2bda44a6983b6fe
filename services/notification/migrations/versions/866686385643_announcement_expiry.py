"""announcements may expire (expires_on): the beranda shows them until then

Revision ID: 866686385643
Revises: b7e2c4d81a90
Create Date: 2026-11-30 04:25:00

"""

import sqlalchemy as sa
from alembic import op

revision = "866686385643"
down_revision = "b7e2c4d81a90"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("announcements", sa.Column("expires_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("announcements") as batch_op:
        batch_op.drop_column("expires_on")
