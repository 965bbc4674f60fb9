"""Tables of the app database. Alembic migrations in blether/migrations create them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Which version of an answer was served, counted per day: no person, no message text.
served_answers = sa.Table(
    "served_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("served_on", sa.Date, nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("version", sa.String(255), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.UniqueConstraint("served_on", "topic", "version", name="uq_served_day_topic_version"),
)

# A person (by keyed pseudonym) referred to a worker. `contact` is the person's Telegram chat,
# encrypted, so that a worker's reply can reach them after a bridge restart; it is cleared when
# the referral closes. `help_text` is the only thing the person typed that is kept.
referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person", sa.String(64), nullable=False, index=True),
    sa.Column("contact", sa.Text, nullable=True),
    sa.Column("worker_id", sa.String(64), nullable=True, index=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("area", sa.String(64), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("help_text", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
)

referral_events = sa.Table(
    "referral_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "referral_id",
        sa.Integer,
        sa.ForeignKey("referrals.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status_from", sa.String(16), nullable=True),
    sa.Column("status_to", sa.String(16), nullable=False),
    sa.Column("worker_id", sa.String(64), nullable=True),
    sa.Column("note", sa.String(200), nullable=True),
)

# Every Telegram update, stored before it is acknowledged and handled from here. `payload` is
# the update sealed with the pseudonym key (it holds the message text and Telegram ids); it and
# `person` are cleared as soon as the update is answered, leaving only the id, so that a copy
# Telegram sends again is recognised and dropped. Answered ids are purged after a day.
inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("person", sa.String(64), nullable=True, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("payload", sa.Text, nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True, index=True),
)

# Messages a referral's change of state owes, written in the same transaction as the change
# and sent after it commits (then deleted). `chat` is sealed; `text` can hold what the person
# asked help with, so a row goes with its referral (/forget, retention) and as soon as it is sent.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "referral_id",
        sa.Integer,
        sa.ForeignKey("referrals.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    sa.Column("chat", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("buttons", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
)
