"""Keyed pseudonyms: how Rasa and the database know a person without their Telegram id."""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(key: bytes, telegram_user_id: int) -> str:
    """HMAC-SHA256 of the user id; without the key it cannot be reversed or recomputed."""
    digest = hmac.new(key, str(telegram_user_id).encode(), hashlib.sha256).hexdigest()
    return f"tg-{digest[:32]}"
