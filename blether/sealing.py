"""Sealing a Telegram chat id so the database can hold a way to reach someone, not who they are."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


def _fernet(key: bytes) -> Fernet:
    derived = hashlib.sha256(b"blether-contact:" + key).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(key: bytes, chat_id: int) -> str:
    return _fernet(key).encrypt(str(chat_id).encode()).decode()


def unseal(key: bytes, sealed: str) -> int | None:
    try:
        return int(_fernet(key).decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        return None


def _text_fernet(key: bytes) -> Fernet:
    # A key of its own, so a sealed chat id and a sealed message can never be swapped.
    derived = hashlib.sha256(b"blether-inbox:" + key).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal_text(key: bytes, text: str) -> str:
    return _text_fernet(key).encrypt(text.encode()).decode()


def unseal_text(key: bytes, sealed: str) -> str | None:
    try:
        return _text_fernet(key).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
