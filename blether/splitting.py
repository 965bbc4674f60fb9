"""Fitting advice text into Telegram messages without breaking it or its formatting."""

from __future__ import annotations

import html
import re

TELEGRAM_LIMIT = 4096
# Room for the escaped form to stay under the limit counts raw characters; keep a margin.
CHUNK_LIMIT = 3800
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _pack(pieces: list[str], joiner: str, limit: int) -> list[str]:
    """Join consecutive pieces with `joiner` while they fit; each piece already fits."""
    packed: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{joiner}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            packed.append(current)
            current = piece
    if current:
        packed.append(current)
    return packed


def _hard_wrap(sentence: str, limit: int) -> list[str]:
    """A sentence longer than the limit: break at a space, or mid-word as a last resort."""
    parts = []
    while len(sentence) > limit:
        cut = sentence.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(sentence[:cut].rstrip())
        sentence = sentence[cut:].lstrip()
    return [*parts, sentence] if sentence else parts


def _split_long(block: str, limit: int) -> list[str]:
    """Split one paragraph at sentence ends, then at spaces, then hard."""
    sentences = [
        p for s in filter(None, _SENTENCE_END.split(block.strip())) for p in _hard_wrap(s, limit)
    ]
    return _pack(sentences, " ", limit)


def split_message(text: str, limit: int = CHUNK_LIMIT) -> list[str]:
    """Chunks under `limit` characters, broken at paragraphs where possible, never empty."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    pieces = [
        piece for p in paragraphs for piece in (_split_long(p, limit) if len(p) > limit else [p])
    ]
    return _pack(pieces, "\n\n", limit)


def to_html(text: str) -> str:
    """Escape for Telegram's HTML parse mode, so no advice text can break a message."""
    return html.escape(text, quote=False)
