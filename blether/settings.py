"""One settings object, read from the environment, from which everything else is built."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TELEGRAM_API = "https://api.telegram.org/bot"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line for a person to act on."""


@dataclass(frozen=True)
class Settings:
    content_dir: Path
    tracker_url: str
    database_url: str
    action_server_port: int
    model_path: Path
    environment: str = "production"
    telegram_token: str = ""
    telegram_api_url: str = DEFAULT_TELEGRAM_API
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    rasa_url: str = "http://127.0.0.1:5005/webhooks/rest/webhook"
    rasa_timeout: float = 30.0
    pseudonym_key: str = ""
    flood_limit: int = 20
    max_message_chars: int = 2000
    offer_timeout: float = 600.0
    # An offer unanswered this long is sent again, once, to the same worker (0: never).
    offer_remind: float = 300.0
    handoff_poll: float = 5.0
    # A safety topic the classifier alone picks below this confidence gets "is someone in
    # danger right now?" before the card (blether/safety_check.py).
    safety_check_below: float = 0.9
    # The danger model (blether/danger.py): where `blether danger train` puts it, and the
    # probability of danger above which it speaks where no rule matched: inside Rasa a
    # question ("is someone in danger right now?"), in the bridge alone (Rasa down, a worker
    # chatting) the card.
    danger_model_path: Path = PROJECT_ROOT / "models" / "danger.joblib"
    danger_above: float = 0.55
    # Where Rasa's action server is, for `blether doctor`; default: this machine's action port.
    action_server: str = ""
    # Check-ins (blether/checkin_flow.py): the wait after "Are you OK?" before the louder
    # message and again before the alert; how long a contact has to tap "I'm dealing with it"
    # before the worker on duty is told too; when an alerted check-in is closed.
    checkin_grace: float = 120.0
    checkin_ack_timeout: float = 300.0
    checkin_close_after: float = 43200.0
    # Drug alert broadcasts (blether/bridge/alerts.py): messages a second, under Telegram's
    # ~30 a second overall so that conversations still get through; sends at once.
    alert_rate: float = 25.0
    alert_senders: int = 4
    # Rasa sees at least this many of a conversation's latest events (at most twice as many),
    # with the state before them carried in (blether/tracker_window.py); 0 gives Rasa them all.
    tracker_window: int = 60
    # Several Rasa replicas (RASA_URLS, comma separated): each person always goes to the same
    # one while it is up (blether/rasa_client.py). Empty: RASA_URL alone.
    rasa_urls: tuple[str, ...] = ()
    # Tests only (ignored unless BLETHER_ENV=development): see blether/clock.py.
    test_clock_file: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def number(name: str, default: float) -> float:
            raw = env.get(name)
            try:
                return float(raw) if raw else default
            except ValueError:
                raise SettingsError(f"{name} must be a number, not {raw!r}") from None

        return cls(
            content_dir=Path(env.get("BLETHER_CONTENT_DIR") or PROJECT_ROOT / "content"),
            tracker_url=env.get("BLETHER_TRACKER_URL") or "sqlite:///var/tracker.db",
            database_url=env.get("DATABASE_URL") or "sqlite:///var/blether.db",
            action_server_port=int(number("BLETHER_ACTION_PORT", 5055)),
            model_path=Path(env.get("BLETHER_MODEL") or PROJECT_ROOT / "models" / "blether.tar.gz"),
            environment=env.get("BLETHER_ENV") or "production",
            telegram_token=(env.get("TELEGRAM_BOT_TOKEN") or "").strip(),
            telegram_api_url=env.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API,
            webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or "",
            webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or "",
            webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=int(number("TELEGRAM_WEBHOOK_PORT", 8443)),
            rasa_url=env.get("RASA_URL") or "http://127.0.0.1:5005/webhooks/rest/webhook",
            rasa_timeout=number("RASA_TIMEOUT", 30.0),
            pseudonym_key=env.get("BLETHER_PSEUDONYM_KEY") or "",
            flood_limit=int(number("BLETHER_FLOOD_LIMIT", 20)),
            max_message_chars=int(number("BLETHER_MAX_MESSAGE_CHARS", 2000)),
            offer_timeout=number("BLETHER_OFFER_TIMEOUT", 600.0),
            offer_remind=number("BLETHER_OFFER_REMIND", 300.0),
            handoff_poll=number("BLETHER_HANDOFF_POLL", 5.0),
            safety_check_below=number("BLETHER_SAFETY_CHECK_BELOW", 0.9),
            danger_model_path=Path(
                env.get("BLETHER_DANGER_MODEL") or PROJECT_ROOT / "models" / "danger.joblib"
            ),
            danger_above=number("BLETHER_DANGER_ABOVE", 0.55),
            action_server=env.get("BLETHER_ACTION_SERVER_URL") or "",
            checkin_grace=number("BLETHER_CHECKIN_GRACE", 120.0),
            checkin_ack_timeout=number("BLETHER_CHECKIN_ACK_TIMEOUT", 300.0),
            checkin_close_after=number("BLETHER_CHECKIN_CLOSE_AFTER", 43200.0),
            alert_rate=min(max(number("BLETHER_ALERT_RATE", 25.0), 0.5), 30.0),
            alert_senders=max(1, int(number("BLETHER_ALERT_SENDERS", 4))),
            test_clock_file=env.get("BLETHER_TEST_CLOCK_FILE") or "",
            tracker_window=max(0, int(number("BLETHER_TRACKER_WINDOW", 60))),
            rasa_urls=tuple(
                url.strip() for url in (env.get("RASA_URLS") or "").split(",") if url.strip()
            ),
        )

    @property
    def rasa_replicas(self) -> tuple[str, ...]:
        """Every Rasa REST webhook the bridge may use, in a fixed order."""
        return self.rasa_urls or (self.rasa_url,)

    @property
    def action_server_url(self) -> str:
        return self.action_server or f"http://127.0.0.1:{self.action_server_port}/webhook"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"
