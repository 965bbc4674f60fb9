"""Served answers: which topic and content version answered, counted per day.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "served_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("served_on", sa.Date, nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.UniqueConstraint("served_on", "topic", "version", name="uq_served_day_topic_version"),
    )


def downgrade() -> None:
    op.drop_table("served_answers")
