"""A worker's several conversations, offer reminders, first replies and "Did that help?".

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (
    # The conversation a worker's messages go to is the one they focused on last.
    ("focused_at", sa.DateTime(timezone=True)),
    ("reminded_at", sa.DateTime(timezone=True)),
    ("first_reply_at", sa.DateTime(timezone=True)),
    # The person's answer to "Did that help?": helped, some or no; nothing typed is kept.
    ("feedback", sa.String(16)),
)


def upgrade() -> None:
    # Workers see people as "#12" and reply to those labels: a number must never be given to
    # a second person. SQLite reuses the highest id once its row is deleted (/forget) unless the
    # table is AUTOINCREMENT, so the table is rebuilt with it there (PostgreSQL never reuses).
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "referrals",
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
