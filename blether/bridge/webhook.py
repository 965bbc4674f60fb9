"""Webhook mode: a small aiohttp server in front of python-telegram-bot's Application.

python-telegram-bot's own webhook server answers 200 before it knows what happens to an
update, and a body that is not JSON with 500 (Telegram then sends it again for a day). This
one, following python-telegram-bot's "custom webhook" pattern, answers 200 only after the
update is stored in the inbox (the update queue's put), 400 for a body that is not an update,
and 403 for a wrong secret, compared in constant time. It logs no bodies and no addresses.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from telegram import Update
from telegram.ext import Application

logger = logging.getLogger("blether.bridge")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kilobytes at most


def webhook_app(
    application: Application,
    path: str,
    url: str,
    secret: str,
    allowed_updates: list[str],
) -> web.Application:
    """The aiohttp app: receives updates on `/path`, runs `application` while it serves."""

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, "").encode(), secret.encode()
        ):
            logger.warning("refused a webhook request with a wrong or missing secret")
            return web.Response(status=403)
        try:
            update = Update.de_json(json.loads(await request.read()), application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            update = None
        if update is None:
            logger.warning("refused a webhook request that was not an update")
            return web.Response(status=400)
        await application.update_queue.put(update)  # stored in the inbox before the 200
        return web.Response(status=200)

    async def running(_: web.Application) -> AsyncIterator[None]:
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)  # replays the inbox before anything new
        await application.bot.set_webhook(
            url=url, secret_token=secret, allowed_updates=allowed_updates
        )
        await application.start()
        yield
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)  # background work ends, bot still open
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(f"/{path}", receive)
    app.cleanup_ctx.append(running)
    return app


def run_webhook(
    application: Application,
    listen: str,
    port: int,
    path: str,
    url: str,
    secret: str,
    allowed_updates: list[str],
) -> None:
    """Serve until SIGINT or SIGTERM, then stop the application cleanly."""
    app = webhook_app(application, path, url, secret, allowed_updates)
    web.run_app(app, host=listen, port=port, access_log=None, print=None)
