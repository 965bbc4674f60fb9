"""Drug alert subscriptions, broadcasts and a delivery row per subscriber.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person", sa.String(64), nullable=False, index=True),
        sa.Column("chat", sa.Text, nullable=False),
        sa.Column("area", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("person", "area", name="uq_alert_subscription"),
    )
    op.create_table(
        "alert_broadcasts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("updated", sa.Boolean, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("update_text", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("alert_id", "version", name="uq_alert_broadcast_version"),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "broadcast_id",
            sa.Integer,
            sa.ForeignKey("alert_broadcasts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("person", sa.String(64), nullable=True, index=True),
        sa.Column("chat", sa.Text, nullable=True),
        sa.Column("area", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("as_update", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("broadcast_id", "person", name="uq_alert_delivery_person"),
    )


def downgrade() -> None:
    op.drop_table("alert_deliveries")
    op.drop_table("alert_broadcasts")
    op.drop_table("alert_subscriptions")
