"""The member ledger and the admission pipeline (issue 17): member_dues (who paid each
month), members.admitted_on / official_on / monthly_dues, candidates (quần chúng ưu tú)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.vnsort import SORT_TEXT_MAX

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admitted_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("official_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("monthly_dues", sa.Integer(), nullable=True))
    op.create_table(
        "member_dues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkin_id", "member_id"),
    )
    op.create_index("ix_member_dues_member_month", "member_dues", ["member_id", "month"])
    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("sort_key", sa.String(length=SORT_TEXT_MAX), nullable=False),
        sa.Column("helper_member_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["org_units.id"]),
        sa.ForeignKeyConstraint(["helper_member_id"], ["members.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_candidates_cell_stage", "candidates", ["cell_id", "stage"])


def downgrade() -> None:
    op.drop_index("ix_candidates_cell_stage", table_name="candidates")
    op.drop_table("candidates")
    op.drop_index("ix_member_dues_member_month", table_name="member_dues")
    op.drop_table("member_dues")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("monthly_dues")
        batch_op.drop_column("official_on")
        batch_op.drop_column("admitted_on")
