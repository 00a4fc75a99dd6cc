"""meeting_tasks (next month's tasks, item by item, and their review), checkins.proposals
(recommendations to the higher committee), invitations.bulk (links of a bulk run)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_member_id", sa.Integer(), nullable=True),
        sa.Column("carried_from_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=True),
        sa.Column("reviewed_checkin_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cell_id"], ["org_units.id"]),
        sa.ForeignKeyConstraint(["owner_member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["carried_from_id"], ["meeting_tasks.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reviewed_checkin_id"], ["checkins.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkin_id", "seq"),
    )
    op.create_index("ix_meeting_tasks_cell_month", "meeting_tasks", ["cell_id", "month"])
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposals", sa.Text(), nullable=True))
    given = sa.text("proposals IS NOT NULL AND proposals <> ''")
    op.create_index(
        "ix_checkins_proposals",
        "checkins",
        ["cell_id", "month"],
        sqlite_where=given,
        postgresql_where=given,
    )
    # Links made before this column were not marked: for the hour after the upgrade a bulk
    # run's links may count against their maker's single-invitation limit.
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bulk", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("bulk")
    op.drop_index("ix_checkins_proposals", table_name="checkins")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("proposals")
    op.drop_index("ix_meeting_tasks_cell_month", table_name="meeting_tasks")
    op.drop_table("meeting_tasks")
