"""account states, one-time codes, refresh tokens; accounts for people who had none

Revision ID: b7c1d2e3f4a5
Revises: a502faca5e76
Create Date: 2026-11-29 23:30:00

"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "b7c1d2e3f4a5"
down_revision = "a502faca5e76"
branch_labels = None
depends_on = None

UNUSABLE_PASSWORD = "!unset"


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "account_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_codes_account_id", "account_codes", ["account_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_index("ix_refresh_tokens_account_id", "refresh_tokens", ["account_id"])
    # Accounts that already sign in count as activated; the never-usable ones wait for it.
    conn = op.get_bind()
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.String),
        sa.column("person_id", sa.String),
        sa.column("username", sa.String),
        sa.column("password_hash", sa.String),
        sa.column("roles", sa.String),
        sa.column("is_active", sa.Boolean),
        sa.column("must_change_password", sa.Boolean),
    )
    conn.execute(
        accounts.update()
        .where(accounts.c.password_hash == UNUSABLE_PASSWORD)
        .values(is_active=False)
    )
    # Everyone with a NIP gets an account (login by NIP), inactive until activated.
    people = sa.table("people", sa.column("id", sa.String), sa.column("nip", sa.String))
    taken = {row.username for row in conn.execute(sa.select(accounts.c.username))}
    missing = conn.execute(
        sa.select(people.c.id, people.c.nip).where(
            people.c.nip.is_not(None),
            ~people.c.id.in_(sa.select(accounts.c.person_id)),
        )
    ).all()
    rows = [
        {
            "id": str(uuid.uuid4()),
            "person_id": row.id,
            "username": row.nip,
            "password_hash": UNUSABLE_PASSWORD,
            "roles": "asn",
            "is_active": False,
            "must_change_password": False,
        }
        for row in missing
        if row.nip not in taken
    ]
    if rows:
        conn.execute(accounts.insert(), rows)


def downgrade():
    op.drop_index("ix_refresh_tokens_account_id", table_name="refresh_tokens")
    op.drop_index("ix_refresh_tokens_family_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index("ix_account_codes_account_id", table_name="account_codes")
    op.drop_table("account_codes")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("deactivated_at")
        batch.drop_column("activated_at")
        batch.drop_column("must_change_password")
