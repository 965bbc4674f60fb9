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
    sa.Column("focused_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("feedback", sa.String(16), nullable=True),
    # Referral numbers are never reused (workers reply to "#12"): see migration 0007.
    sqlite_autoincrement=True,
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
    # A check-in's messages go with it, like a referral's (added in migration 0005).
    sa.Column(
        "checkin_id",
        sa.Integer,
        sa.ForeignKey("checkins.id", ondelete="CASCADE"),
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

# A person's trusted contact for check-ins. While invited, only a hash of the one-time code is
# kept; once the contact opens the link, their pseudonym (to let them withdraw) and, when they
# agree, their sealed chat. `shown_name` is the one thing about the person a contact ever sees;
# `person_chat` (sealed) lets the person be told when their contact agrees or steps down.
trusted_contacts = sa.Table(
    "trusted_contacts",
    metadata,
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

# A check-in while a person uses alone: its timer (`due_at`), who is told if they stop
# answering, and the sealed note for that person, erased when the check-in ends.
checkins = sa.Table(
    "checkins",
    metadata,
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

# The audit trail of each check-in: every move, with when, and who was alerted or answered.
checkin_events = sa.Table(
    "checkin_events",
    metadata,
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

# A person's wish to be sent drug alerts for an area ("Scotland": all of them): their
# pseudonym, their sealed chat, the area. Nothing else.
alert_subscriptions = sa.Table(
    "alert_subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person", sa.String(64), nullable=False, index=True),
    sa.Column("chat", sa.Text, nullable=False),
    sa.Column("area", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("person", "area", name="uq_alert_subscription"),
)

# One publish of one version of an alert: the text as it was sent, fixed at publish time.
alert_broadcasts = sa.Table(
    "alert_broadcasts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("alert_id", sa.String(64), nullable=False, index=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("updated", sa.Boolean, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("update_text", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("alert_id", "version", name="uq_alert_broadcast_version"),
)

# One row per subscriber of a broadcast, written before anything is sent, so that a restart
# neither skips nor repeats anyone. `person` and `chat` are cleared by /forget and retention;
# the area and the outcome stay for the service's report.
alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
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
