"""Check-ins while using alone, trusted contacts, and check-in messages in the outbox.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trusted_contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person", sa.String(64), nullable=False, index=True),
        sa.Column("shown_name", sa.String(40), nullable=False),
        sa.Column("person_chat", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("invite_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("invite_expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact_person", sa.String(64), nullable=True, index=True),
        sa.Column("chat", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person", sa.String(64), nullable=False, index=True),
        sa.Column("chat", sa.Text, nullable=False),
        sa.Column("notify", sa.String(16), nullable=False),
        sa.Column(
            "contact_id",
            sa.Integer,
            sa.ForeignKey("trusted_contacts.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("worker_id", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("awaiting_note", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(16), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "checkin_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "checkin_id",
            sa.Integer,
            sa.ForeignKey("checkins.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_from", sa.String(16), nullable=True),
        sa.Column("state_to", sa.String(16), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("checkin_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_outbox_checkin", "checkins", ["checkin_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_outbox_checkin_id", ["checkin_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_checkin_id")
        batch.drop_constraint("fk_outbox_checkin", type_="foreignkey")
        batch.drop_column("checkin_id")
    op.drop_table("checkin_events")
    op.drop_table("checkins")
    op.drop_table("trusted_contacts")
