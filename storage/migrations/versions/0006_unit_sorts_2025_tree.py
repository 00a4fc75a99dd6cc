"""the 2025 organisation tree: a sort for grassroots committees and cells

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing units get no sort (unknown): nothing in an old tree says whether a grassroots
    # committee is a commune or an enterprise. Districts keep their kind, now a historical
    # level (README "The organisation tree"; `cellbot org fold-district` removes one).
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sort", sa.String(length=24), nullable=True))


def downgrade() -> None:
    # Kinds new in 0006 (bloc, subcommittee) have no meaning before it; they are kept as text.
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_column("sort")
