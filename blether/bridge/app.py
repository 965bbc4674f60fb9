"""Wiring: build_application(settings) assembles the bridge; run() starts polling or a webhook."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import signal
from collections.abc import Callable
from pathlib import Path

import httpx
from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from blether.bridge import handlers
from blether.bridge.alerts import AlertDesk, Broadcaster
from blether.bridge.checkin import Checkins, CheckinTimes
from blether.bridge.conversation import Bridge
from blether.bridge.handoff import Handoff
from blether.bridge.intake import ORPHANED_AFTER, Intake
from blether.bridge.ordering import OnePersonAtATime
from blether.bridge.outbox_sender import OutboxSender
from blether.bridge.webhook import run_webhook
from blether.clock import clock_for
from blether.content import ContentLibrary
from blether.danger import DangerModelSource
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.doctor import run_checks
from blether.erasure import tracker_sessionmaker
from blether.flood import FloodGate
from blether.rasa_client import RasaClient
from blether.settings import Settings, SettingsError
from blether.timer_lock import TimerLock

logger = logging.getLogger("blether.bridge")
TOKEN_SHAPE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
DEVELOPMENT_KEY = "blether-development-only-key"
WEBHOOK_PATH = "telegram"
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
# Updates waiting for their person's turn hold a slot each, so the limit is generous: a burst
# from one person (flood control drops most of it) must not hold up everyone else.
CONCURRENT_UPDATES = 1024


def check_settings(settings: Settings) -> bytes:
    """Refuse to start on settings that would fail later or leak; returns the pseudonym key."""
    if not settings.telegram_token:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set")
    if not TOKEN_SHAPE.match(settings.telegram_token):
        raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters)")
    if settings.webhook_url and not settings.webhook_secret:
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET must be set when TELEGRAM_WEBHOOK_URL is")
    if settings.webhook_secret and not re.fullmatch(
        r"[A-Za-z0-9_-]{1,256}", settings.webhook_secret
    ):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET may use only A-Z, a-z, 0-9, _ and - (1-256)")
    if settings.pseudonym_key:
        return settings.pseudonym_key.encode()
    if settings.is_development:
        logger.warning("BLETHER_PSEUDONYM_KEY not set: using the development key")
        return DEVELOPMENT_KEY.encode()
    raise SettingsError(
        "BLETHER_PSEUDONYM_KEY is not set (required unless BLETHER_ENV=development)"
    )


def quiet_loggers() -> None:
    # httpx logs every request URL at INFO, and Bot API URLs contain the token;
    # python-telegram-bot logs whole updates at DEBUG.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for name in ("telegram", "telegram.ext", "apscheduler"):
        if logging.getLogger(name).getEffectiveLevel() < logging.INFO:
            logging.getLogger(name).setLevel(logging.INFO)


def log_task_stacks() -> None:
    """Where each task waits, down to the innermost await (file, line, function: never a
    variable's value). Task.get_stack shows a suspended task's outer frame only, so the chain
    of awaited coroutines is followed by hand."""
    for task in asyncio.all_tasks():
        where = " -> ".join(_await_chain(task.get_coro()))
        logger.warning("task %s waiting at %s", task.get_name(), where or "(not started)")


def _await_chain(awaitable: object, limit: int = 30) -> list[str]:
    steps: list[str] = []
    while awaitable is not None and len(steps) < limit:
        frame = next(
            (
                getattr(awaitable, a)
                for a in ("cr_frame", "gi_frame", "ag_frame")
                if hasattr(awaitable, a)
            ),
            None,
        )
        if frame is None:
            steps.append(type(awaitable).__name__)  # a Future: what the chain waits on
            break
        steps.append(
            f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} {frame.f_code.co_name}"
        )
        awaitable = next(
            (
                getattr(awaitable, a)
                for a in ("cr_await", "gi_yieldfrom", "ag_await")
                if getattr(awaitable, a, None) is not None
            ),
            None,
        )
    return steps


def build_application(settings: Settings, http: httpx.AsyncClient | None = None) -> Application:
    key = check_settings(settings)
    quiet_loggers()
    # Idle connections are dropped before Rasa's server would close them (Sanic: 5 s), so a
    # closed connection means Rasa dropped the request (RasaLostTrack), not a stale socket.
    client = http or httpx.AsyncClient(
        timeout=httpx.Timeout(settings.rasa_timeout, connect=5.0),
        limits=httpx.Limits(keepalive_expiry=2.0),
    )

    upgrade(settings.database_url)
    app_engine = make_engine(settings.database_url)
    app_sessions = make_sessionmaker(app_engine)
    timers = TimerLock(app_engine)
    library = ContentLibrary(settings.content_dir)
    clock = clock_for(settings.test_clock_file, settings.is_development)
    # One sender for every owed message; an alert it cannot deliver goes back to the check-ins.
    sender = OutboxSender(app_sessions, key, clock)
    offer_timeout = dt.timedelta(seconds=settings.offer_timeout)
    # A reminder at or after the timeout would never be sent: the offer has moved on by then.
    remind = settings.offer_remind
    offer_remind = dt.timedelta(seconds=remind) if 0 < remind < settings.offer_timeout else None
    handoff = Handoff(
        library, app_sessions, key, offer_timeout, sender, offer_remind=offer_remind, clock=clock
    )
    times = CheckinTimes(
        grace=dt.timedelta(seconds=settings.checkin_grace),
        ack_timeout=dt.timedelta(seconds=settings.checkin_ack_timeout),
        close_after=dt.timedelta(seconds=settings.checkin_close_after),
    )
    checkins = Checkins(library, sender, key, clock, times)
    sender.undeliverable = checkins.undeliverable
    background: list[asyncio.Task] = []
    intake = Intake(app_sessions, key)
    desk = AlertDesk(library, app_sessions, key, clock)
    broadcaster = Broadcaster(app_sessions, key, settings.alert_rate, settings.alert_senders)

    async def start(app: Application) -> None:
        # Before polling or the webhook start: what was stored and never answered goes first.
        bridge: Bridge = app.bot_data[handlers.BRIDGE_KEY]
        # What is missing or wrong, one line each, before the first message needs it.
        for finding in await run_checks(settings, client):
            (logger.info if finding.ok else logger.warning)("start-up check: %s", finding.line())

        # Only the bridge that runs the timers replays: with several bridges on one database,
        # another's stored updates may be in hand right now.
        def apology() -> str:
            return bridge.say("delayed")

        if await asyncio.to_thread(timers.held):
            await intake.replay_pending(app.bot, apology)
        loop = timer_loop(app, handoff, checkins, timers, intake, apology, settings.handoff_poll)
        background.append(asyncio.create_task(loop))
        sending = alert_loop(app, broadcaster, timers, settings.handoff_poll)
        background.append(asyncio.create_task(sending))
        # `kill -USR2 <pid>`: where every task is waiting, in the log (frames only, no values).
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, log_task_stacks)

    async def stop_background(_: Application) -> None:
        # Before the bot shuts down, and waited for: an alert being sent is finished and
        # recorded, the rest handed back for the next bridge.
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)

    async def close_client(_: Application) -> None:
        timers.release()
        if http is None:
            await client.aclose()

    application = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_api_url.replace("/bot", "/file/bot"))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .update_queue(intake.queue)
        .concurrent_updates(OnePersonAtATime(CONCURRENT_UPDATES, after=intake.answered))
        .post_init(start)
        .post_stop(stop_background)
        .post_shutdown(close_client)
        .build()
    )
    # Loaded now, not by the first person whose message Rasa cannot read (logged if missing).
    danger_model = DangerModelSource(settings.danger_model_path)
    danger_model.get()
    application.bot_data[handlers.BRIDGE_KEY] = Bridge(
        rasa=RasaClient(client, settings.rasa_replicas),
        library=library,
        flood=FloodGate(settings.flood_limit),
        pseudonym_key=key,
        tracker_sessions=tracker_sessionmaker(settings.tracker_url),
        max_message_chars=settings.max_message_chars,
        handoff=handoff,
        checkins=checkins,
        alerts=desk,
        danger_model=danger_model,
        danger_above=settings.danger_above,
    )
    desk.long_payloads = application.bot_data[handlers.BRIDGE_KEY].long_payloads
    private = filters.ChatType.PRIVATE
    messages = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
    for command, callback in (
        ("start", handlers.on_start),
        ("help", handlers.on_help),
        ("privacy", handlers.on_privacy),
        ("emergency", handlers.on_emergency),
        ("forget", handlers.on_forget),
        ("end", handlers.on_end),
        ("list", handlers.on_list),
        ("switch", handlers.on_switch),
        ("r", handlers.on_saved_reply),
        ("bot", handlers.on_bot),
        ("checkin", handlers.on_checkin),
        ("contact", handlers.on_contact),
        ("withdraw", handlers.on_withdraw),
        ("alerts", handlers.on_alerts),
    ):
        application.add_handler(CommandHandler(command, callback, filters=private))
    application.add_handler(
        MessageHandler(private & messages & filters.TEXT & ~filters.COMMAND, handlers.on_text)
    )
    # Any other command ("/overdose my mate", "/stop"): read as words, never silence.
    application.add_handler(
        MessageHandler(private & messages & filters.COMMAND, handlers.on_unknown_command)
    )
    application.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.TEXT, handlers.on_not_text)
    )
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_error_handler(handlers.on_error)
    return application


async def timer_loop(
    application: Application,
    handoff: Handoff,
    checkins: Checkins,
    timers: TimerLock,
    intake: Intake,
    apology: Callable[[], str],
    every: float,
) -> None:
    """Offer waiting referrals, move check-ins on, send what is owed, pick up orphans.

    Only the bridge holding the timer lock offers, checks and replays; every bridge sends
    its outbox.
    """
    while True:
        try:
            if await asyncio.to_thread(timers.held):
                await handoff.offer_waiting(application.bot, handoff.now())
                await checkins.tick(application.bot)
                # Updates another bridge stored and never answered (it stopped): answered here.
                await intake.replay_pending(application.bot, apology, older_than=ORPHANED_AFTER)
            else:
                await handoff.send_owed(application.bot)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - keep offering after a passing fault
            logger.error("a timer round failed (%s)", type(error).__name__)
        await asyncio.sleep(every)


async def alert_loop(
    application: Application, broadcaster: Broadcaster, timers: TimerLock, every: float
) -> None:
    """Send published drug alerts. Only the bridge holding the timer lock sends them, so that
    two bridges never go over Telegram's limit together."""
    while True:
        try:
            if await asyncio.to_thread(timers.held):
                sent = await broadcaster.send_waiting(application.bot)
                if sent:
                    logger.info("alert deliveries: %s", dict(sent))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - keep sending after a passing fault
            logger.error("an alert round failed (%s)", type(error).__name__)
        await asyncio.sleep(every)


def run(settings: Settings) -> None:
    application = build_application(settings)
    if settings.webhook_url:
        logger.info(
            "starting in webhook mode on %s:%d", settings.webhook_listen, settings.webhook_port
        )
        run_webhook(
            application,
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            path=WEBHOOK_PATH,
            url=settings.webhook_url,
            secret=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        logger.info("starting in polling mode")
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
