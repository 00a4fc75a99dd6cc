"""thematic_plans (topic and presenter per cell and quarter) and meeting_notices (the meeting
notices sent to the supervising committee)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thematic_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("quarter", sa.SmallInteger(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("presenter_member_id", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["org_units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["presenter_member_id"], ["members.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["updated_by"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cell_id", "year", "quarter"),
    )
    op.create_table(
        "meeting_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["org_units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sent_by"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_meeting_notices_cell_month", "meeting_notices", ["cell_id", "month"])


def downgrade() -> None:
    op.drop_index("ix_meeting_notices_cell_month", table_name="meeting_notices")
    op.drop_table("meeting_notices")
    op.drop_table("thematic_plans")
