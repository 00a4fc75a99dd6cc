"""access management: accounts' last activity, invitations' inviter, cancellation and
handover, role grants' granter

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every new column is nullable or has a server default: old rows keep working (an old
    # invitation is no handover, made by the operator; an old grant's granter is unknown).
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("granted_by", sa.String(length=120), nullable=True))
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_account_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column("handover", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_foreign_key(
            "fk_invitations_created_by_account_id_accounts",
            "accounts",
            ["created_by_account_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_invitations_creator_at", ["created_by_account_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_creator_at")
        batch_op.drop_constraint(
            "fk_invitations_created_by_account_id_accounts", type_="foreignkey"
        )
        batch_op.drop_column("handover")
        batch_op.drop_column("cancelled_by")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("created_by_account_id")
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.drop_column("granted_by")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
