"""A small Telegram Bot API server on 127.0.0.1 speaking the HTTP protocol python-telegram-bot uses.

python-telegram-bot posts form-encoded parameters (non-string values JSON-encoded) to
`<base_url><token>/<method>` and expects `{"ok": true, "result": ...}`. The server runs in a
thread of its own so that tests, the bridge and benchmarks can drive it from outside.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

RAW_STRING_PARAMS = {"text", "callback_query_id", "url", "secret_token", "action", "parse_mode"}
BOT_USER = {
    "id": 700000001,
    "is_bot": True,
    "first_name": "Blether",
    "username": "blether_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Sent:
    """A call the bot made, with its decoded parameters."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


STICKER = {
    "file_id": "s1",
    "file_unique_id": "u1",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
    "type": "regular",
}


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token_abcdefghijklmnopqrstuv") -> None:
        self.token = token
        self.port = 0
        self.calls: list[Sent] = []
        self.webhook_url = ""
        self._updates: list[dict[str, Any]] = []
        self._pushed: dict[int, dict[str, Any]] = {}
        # Copies Telegram sends again (it does after a timeout), whatever the offset says.
        self._again: list[dict[str, Any]] = []
        self._blocked: set[int] = set()
        self._slow: dict[int, float] = {}
        # Telegram never reuses an update id; fakes started one after another in a test run
        # (sharing one app database) must not either.
        self._update_ids = itertools.count(time.time_ns() // 1_000_000 % 2_000_000_000)
        self._message_ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # ---- life cycle ------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> FakeTelegram:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Telegram server did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._new_update = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self._loop.run_forever()
        # Long polls still waiting when the test ends are cancelled, not left to warn at exit.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    # ---- what people do ----------------------------------------------------------------
    def _person(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Alex", "username": f"user{user_id}"}

    def _chat(self, chat_id: int, kind: str = "private") -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        chat.update({"first_name": "Alex"} if kind == "private" else {"title": "A group"})
        return chat

    def _push(self, update: dict[str, Any]) -> int:
        with self._lock:
            update_id = next(self._update_ids)
            self._pushed[update_id] = {"update_id": update_id, **update}
            self._updates.append(self._pushed[update_id])
        if self._loop and self._new_update:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update_id

    def message(
        self,
        user_id: int,
        text: str | None = None,
        chat_id: int | None = None,
        kind: str = "private",
        edited: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id if chat_id is not None else user_id, kind),
            "from": self._person(user_id),
            **extra,
        }
        if text is not None:
            body["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if edited:
            body["edit_date"] = int(time.time())
        return body

    def send_text(self, user_id: int, text: str, **kwargs: Any) -> int:
        edited = kwargs.get("edited", False)
        body = self.message(user_id, text, **kwargs)
        return self._push({"edited_message" if edited else "message": body})

    def send_sticker(self, user_id: int) -> int:
        return self._push({"message": self.message(user_id, sticker=STICKER)})

    def tap(self, user_id: int, message: Sent, data: str) -> int:
        original = {
            "message_id": message.params["_message_id"],
            "date": int(time.time()),
            "chat": self._chat(int(message.params["chat_id"])),
            "text": message.params["text"],
            "from": BOT_USER,
        }
        return self._push(
            {
                "callback_query": {
                    "id": str(next(self._message_ids)),
                    "from": self._person(user_id),
                    "chat_instance": "ci",
                    "data": data,
                    "message": original,
                }
            }
        )

    def update_json(self, user_id: int, text: str) -> dict[str, Any]:
        """An update as Telegram would post it to a webhook."""
        return {"update_id": next(self._update_ids), "message": self.message(user_id, text)}

    # ---- what the bot did --------------------------------------------------------------
    def deliver_again(self, update_id: int) -> None:
        """Send an update a second time, as Telegram does when it thinks it was not received."""
        with self._lock:
            self._again.append(self._pushed[update_id])
        if self._loop and self._new_update:
            self._loop.call_soon_threadsafe(self._new_update.set)

    def block(self, chat_id: int) -> None:
        """This chat has blocked the bot: sending to it fails, as on Telegram (403)."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def slow_down(self, chat_id: int, seconds: float) -> None:
        """Sending to this chat takes `seconds` (0 for normal), as on a bad connection."""
        self._slow[chat_id] = seconds

    def sent(self, chat_id: int, method: str = "sendMessage") -> list[Sent]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method and str(c.params.get("chat_id")) == str(chat_id)
            ]

    def wait_for(
        self, chat_id: int, count: int, method: str = "sendMessage", timeout: float = 60.0
    ) -> list[Sent]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(chat_id, method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} {method} to {chat_id}, got {self.sent(chat_id, method)}"
        )

    def wait_for_text(self, chat_id: int, prefix: str, timeout: float = 60.0) -> Sent:
        """The first message to this chat whose text starts with `prefix`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for sent in self.sent(chat_id):
                if str(sent.params.get("text", "")).startswith(prefix):
                    return sent
            time.sleep(0.05)
        raise AssertionError(f"no message starting {prefix!r} to {chat_id}: {self.texts(chat_id)}")

    def texts(self, chat_id: int) -> list[str]:
        return [c.params.get("text", "") for c in self.sent(chat_id)]

    # ---- the protocol ------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        form = dict(await request.post()) if request.can_read_body else {}
        params = {
            k: (v if k in RAW_STRING_PARAMS else _maybe_json(str(v))) for k, v in form.items()
        }
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        delay = self._slow.get(int(params.get("chat_id", 0) or 0), 0.0)
        if method == "sendMessage" and delay:
            await asyncio.sleep(delay)
        if method == "sendMessage" and int(params.get("chat_id", 0)) in self._blocked:
            with self._lock:
                self.calls.append(Sent("failed:sendMessage", params))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                status=403,
            )
        result = self._answer(method, params)
        with self._lock:
            self.calls.append(Sent(method, params))
        return _ok(result)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 1.0)
        assert self._new_update is not None
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = list(self._updates[:100]) + self._again
                self._again = []
            if pending or time.monotonic() >= deadline:
                return pending
            self._new_update.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(
                    self._new_update.wait(), max(0.01, deadline - time.monotonic())
                )

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageReplyMarkup", "editMessageText"):
            message_id = params.get("message_id") or next(self._message_ids)
            params["_message_id"] = message_id
            result = {
                "message_id": message_id,
                "date": int(time.time()),
                "from": BOT_USER,
                "chat": self._chat(int(params.get("chat_id", 0))),
                "text": params.get("text", ""),
            }
            if isinstance(params.get("reply_markup"), dict):
                result["reply_markup"] = params["reply_markup"]
            return result
        if method == "setWebhook":
            self.webhook_url = str(params.get("url", ""))
            return True
        if method == "deleteWebhook":
            self.webhook_url = ""
            return True
        if method == "getWebhookInfo":
            return {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
        return True  # sendChatAction, answerCallbackQuery, setMyCommands, ...


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


class Chat:
    """One chat's messages from the moment a test starts (tests share workers' chats)."""

    def __init__(self, fake: FakeTelegram, chat: int) -> None:
        self.fake, self.chat, self.start = fake, chat, len(fake.sent(chat))

    def nth(self, n: int, timeout: float = 60) -> Sent:
        return self.fake.wait_for(self.chat, self.start + n, timeout=timeout)[self.start + n - 1]

    def text(self, n: int) -> str:
        return str(self.nth(n).params["text"])

    def texts(self) -> list[str]:
        return [str(s.params.get("text", "")) for s in self.fake.sent(self.chat)[self.start :]]

    def count(self, prefix: str) -> int:
        return sum(t.startswith(prefix) for t in self.texts())

    def say_and_wait(self, text: str, prefix: str, timeout: float = 30) -> None:
        """Send `text` from this chat, then wait for a new reply starting with `prefix` (the
        same reply to an earlier message, of this test or another, does not count)."""
        before = self.count(prefix)
        self.fake.send_text(self.chat, text)
        deadline = time.monotonic() + timeout
        while self.count(prefix) <= before:
            assert time.monotonic() < deadline, (prefix, self.texts())
            time.sleep(0.05)


def button(sent: Sent, index: int = 0) -> str:
    """The callback data of a message's `index`-th inline button, rows read in order."""
    flat = [b for row in sent.params["reply_markup"]["inline_keyboard"] for b in row]
    return str(flat[index]["callback_data"])
