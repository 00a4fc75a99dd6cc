"""The annual review (issue 17): year_reviews (a cell's review of a year: conditions beyond
the score, the proposed level, the committee's confirmed level) and year_review_members (one
row per member: the proposed level and note, the committee's confirmed level)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "year_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tasks_on_time", sa.Boolean(), nullable=True),
        sa.Column("leader_disciplined", sa.Boolean(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("proposed_level", sa.String(length=24), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_level", sa.String(length=24), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cell_id"],
            ["org_units.id"],
            name=op.f("fk_year_reviews_cell_id_org_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["accounts.id"], name=op.f("fk_year_reviews_submitted_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["accounts.id"], name=op.f("fk_year_reviews_confirmed_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_year_reviews")),
        sa.UniqueConstraint("cell_id", "year", name=op.f("uq_year_reviews_cell_id")),
    )
    op.create_index("ix_year_reviews_year_status", "year_reviews", ["year", "status"])
    op.create_table(
        "year_review_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("proposed_level", sa.String(length=24), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("confirmed_level", sa.String(length=24), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["year_reviews.id"],
            name=op.f("fk_year_review_members_review_id_year_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_year_review_members_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"],
            ["accounts.id"],
            name=op.f("fk_year_review_members_confirmed_by_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_year_review_members")),
        sa.UniqueConstraint(
            "review_id", "member_id", name=op.f("uq_year_review_members_review_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("year_review_members")
    op.drop_index("ix_year_reviews_year_status", table_name="year_reviews")
    op.drop_table("year_reviews")
