"""read model: stored meeting scores, per-cell per-period results

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 03:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing check-ins get their scores on the first `cellbot rescore` (run at start-up
    # when the framework version differs) or when a view first reads them.
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("score_version", sa.String(length=32), nullable=True))
    op.create_table(
        "cell_results",
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("as_of_month", sa.Date(), nullable=False),
        sa.Column("framework_version", sa.String(length=32), nullable=False),
        sa.Column("no_data", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("band", sa.String(length=32), nullable=True),
        sa.Column("four_good", sa.Boolean(), nullable=True),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("score_sum", sa.Float(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("computed_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cell_id"],
            ["org_units.id"],
            name=op.f("fk_cell_results_cell_id_org_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "cell_id", "period_kind", "period_start", name=op.f("pk_cell_results")
        ),
    )
    with op.batch_alter_table("cell_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cell_results_period", ["period_kind", "period_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cell_results", schema=None) as batch_op:
        batch_op.drop_index("ix_cell_results_period")
    op.drop_table("cell_results")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("score_version")
        batch_op.drop_column("meeting_score")
