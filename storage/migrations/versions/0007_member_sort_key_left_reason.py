"""members: a stored Vietnamese sort key; why and when a member left the roll

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.vnsort import SORT_TEXT_MAX, name_sort_text

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_members = sa.table(
    "members",
    sa.column("id", sa.Integer()),
    sa.column("full_name", sa.String()),
    sa.column("sort_key", sa.String()),
)
_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sort_key", sa.String(length=SORT_TEXT_MAX), nullable=True))
        batch_op.add_column(sa.Column("left_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
    # The same function as new rows use (storage/models/org.py), so old and new names interleave.
    # Members who left before this revision keep a NULL reason: nobody recorded it.
    conn = op.get_bind()
    rows = conn.execute(sa.select(_members.c.id, _members.c.full_name)).all()
    update = (
        _members.update()
        .where(_members.c.id == sa.bindparam("member_id"))
        .values(sort_key=sa.bindparam("key"))
    )
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        conn.execute(update, [{"member_id": i, "key": name_sort_text(name)} for i, name in batch])
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column(
            "sort_key", existing_type=sa.String(length=SORT_TEXT_MAX), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("left_on")
        batch_op.drop_column("left_reason")
        batch_op.drop_column("sort_key")
