"""cell_results: the reasons of each stored result (points lost), so a report of every cell
renders them without rebuilding them from the metrics

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows already stored keep NULL: they are of the previous read-model layout
    # (storage.read_model.LAYOUT), so not current; `cellbot rescore` (run at start-up when the
    # version changed) or the next view computes them again, reasons included.
    with op.batch_alter_table("cell_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasons", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cell_results", schema=None) as batch_op:
        batch_op.drop_column("reasons")
