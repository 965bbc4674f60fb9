"""python-telegram-bot handlers: translate updates into Bridge calls, nothing more."""

from __future__ import annotations

import asyncio
import logging
import re
import traceback

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from blether.alert_menu import PREFIX as ALERTS_PREFIX
from blether.bridge.conversation import Bridge
from blether.bridge.delivery import payload_of
from blether.checkin_flow import ACK as CHECKIN_ACK
from blether.checkin_flow import HELP as CHECKIN_HELP
from blether.checkin_flow import PREFIX as CHECKIN_PREFIX
from blether.checkin_flow import Outcome
from blether.checkin_setup import CHECKIN_PAYLOAD
from blether.contact_flow import PREFIX as CONTACT_PREFIX
from blether.contact_flow import REMOVE as CONTACT_REMOVE
from blether.content.models import Worker, fill
from blether.handoff_flow import ACCEPT, DECLINE, END, FEEDBACK
from blether.replies import Button, Reply
from blether.text import without_lone_surrogates

logger = logging.getLogger("blether.bridge")
BRIDGE_KEY = "bridge"
FORGET_YES, FORGET_NO = "forget:yes", "forget:no"
# A trusted-contact invite code in a t.me/<bot>?start=CODE link (blether/contacts.py).
INVITE_CODE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def bridge_of(context: ContextTypes.DEFAULT_TYPE) -> Bridge:
    return context.application.bot_data[BRIDGE_KEY]  # type: ignore[no-any-return]


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bridge, chat, user = bridge_of(context), update.effective_chat, update.effective_user
    if not _private(update) or chat is None or user is None:
        return
    if context.args and INVITE_CODE.fullmatch(context.args[0]):
        # t.me/<bot>?start=CODE: someone opening a trusted-contact invite.
        await bridge.checkins.open_invite(
            context.bot, chat.id, bridge.person(user.id), context.args[0]
        )
        return
    welcome = [Reply(bridge.say("welcome")), Reply(bridge.say("privacy_note"))]
    await bridge.send(context.bot, chat.id, welcome + bridge.menu())


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bridge, chat = bridge_of(context), update.effective_chat
    if _private(update) and chat is not None and not await _danger_after_command(update, context):
        await bridge.send(context.bot, chat.id, [Reply(bridge.say("help"))])


async def _danger_after_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """ "/help i took too much": the words after a command are read for danger first."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not context.args:
        return False
    words = without_lone_surrogates(" ".join(context.args))
    return await bridge_of(context).card_if_danger(context.bot, chat.id, words)


async def on_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bridge, chat = bridge_of(context), update.effective_chat
    if _private(update) and chat is not None and not await _danger_after_command(update, context):
        await bridge.send(context.bot, chat.id, bridge.card("privacy"))


async def on_emergency(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answered here, never by Rasa, so that it works when Rasa is down; in a live chat the
    worker is told too."""
    bridge, chat, user = bridge_of(context), update.effective_chat, update.effective_user
    if _private(update) and chat is not None:
        await bridge.send(context.bot, chat.id, bridge.card("emergency_overdose"))
        if user is not None:
            await bridge.tell_worker_if_in_chat(
                context.bot, bridge.person(user.id), "card_to_worker"
            )


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bridge, chat = bridge_of(context), update.effective_chat
    if not _private(update) or chat is None:
        return
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(bridge.say("forget_yes"), callback_data=FORGET_YES),
                InlineKeyboardButton(bridge.say("forget_no"), callback_data=FORGET_NO),
            ]
        ]
    )
    await context.bot.send_message(chat.id, bridge.say("forget_confirm"), reply_markup=buttons)


def _number(words: str) -> int | None:
    """ "12" or "#12" from a command's words; None when there is no such number."""
    digits = words.strip().lstrip("#")
    return int(digits) if digits.isdigit() else None


async def on_end(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/end from a worker: close the chat they talk in (or /end N, chat N). From a person it
    means what /bot does: leave the worker and go back to Blether."""
    bridge, chat = bridge_of(context), update.effective_chat
    if not _private(update) or chat is None:
        return
    if bridge.worker_at(chat.id) is None:
        await on_bot(update, context)
        return
    words = " ".join(context.args or [])
    wanted = _number(words)
    if words.strip() and wanted is None:
        await bridge.send(context.bot, chat.id, [Reply(bridge.library.referral().worker_end_how)])
        return
    await _end_as_worker(bridge, context, chat.id, wanted)


async def _end_as_worker(
    bridge: Bridge, context: ContextTypes.DEFAULT_TYPE, chat_id: int, referral_id: int | None
) -> None:
    """Only a listed worker may end a handoff; anyone else is refused, and it is logged."""
    texts = bridge.library.referral()
    if bridge.handoff.worker_at(chat_id) is None:
        logger.warning("refused an end of chat from a chat that is not a listed worker")
        await bridge.send(context.bot, chat_id, [Reply(texts.not_your_referral)])
        return
    handoff = bridge.handoff
    if not await handoff.end(context.bot, chat_id, None, handoff.now(), referral_id):
        missing = (
            fill(texts.worker_no_such_chat, id=referral_id)
            if referral_id is not None
            else texts.no_open_chat
        )
        await bridge.send(context.bot, chat_id, [Reply(missing)])


async def _as_worker(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Worker | None:
    """The worker at this chat; for anyone else the command is read as the words typed."""
    chat = update.effective_chat
    worker = bridge_of(context).worker_at(chat.id) if chat is not None else None
    if worker is None:
        await on_unknown_command(update, context)
    return worker


async def on_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/list from a worker: their open chats, the one they talk in marked."""
    if _private(update) and (worker := await _as_worker(update, context)) is not None:
        assert update.effective_chat is not None
        await bridge_of(context).handoff.list_chats(context.bot, worker, update.effective_chat.id)


async def on_switch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/switch N from a worker: their messages go to chat N."""
    if _private(update) and (worker := await _as_worker(update, context)) is not None:
        assert update.effective_chat is not None
        wanted = " ".join(context.args or [])
        await bridge_of(context).handoff.switch(
            context.bot, worker, update.effective_chat.id, wanted
        )


async def on_saved_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/r NAME from a worker: a saved reply to the chat they talk in; /r alone lists them."""
    if _private(update) and (worker := await _as_worker(update, context)) is not None:
        assert update.effective_chat is not None
        name = " ".join(context.args or [])
        await bridge_of(context).handoff.saved_reply(
            context.bot, worker, update.effective_chat.id, name
        )


async def on_bot(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/bot from the person: leave the worker and go back to Blether."""
    bridge, chat, user = bridge_of(context), update.effective_chat, update.effective_user
    if not _private(update) or chat is None or user is None:
        return
    person = bridge.person(user.id)
    if not await bridge.handoff.end(context.bot, chat.id, person, bridge.handoff.now()):
        await bridge.send(context.bot, chat.id, bridge.menu())


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed message (new or edited) from a person in a private chat."""
    bridge, message, user = bridge_of(context), update.effective_message, update.effective_user
    if not _private(update) or message is None or user is None:
        return
    text = without_lone_surrogates(message.text or "").strip()
    worker = bridge.worker_at(message.chat_id)
    if worker is not None and update.edited_message is not None:
        # An edit is never passed on: the chat it would go to may not be the first one's.
        texts = bridge.library.referral()
        await bridge.send(context.bot, message.chat_id, [Reply(texts.worker_edit_not_sent)])
        return
    if worker is not None:
        # Replying to a relayed message sends the reply to that message's person.
        replied = message.reply_to_message
        replied_to = (replied.text or replied.caption) if replied is not None else None
        await bridge.handoff.from_worker(context.bot, worker, message.chat_id, text, replied_to)
        return
    if not text:
        await on_not_text(update, context)
        return
    person = bridge.person(user.id)
    if not bridge.flood.allow(person):
        logger.info("flood control held back a message")
        # Danger is answered whatever the pace: only the model is spared the flood.
        danger = await bridge.card_if_danger(context.bot, message.chat_id, text)
        if not danger and bridge.flood.should_warn(person):
            await bridge.send(context.bot, message.chat_id, [Reply(bridge.say("slow_down"))])
        return
    # The whole message: the bridge reads it for danger first, then cuts it for the model.
    await bridge.converse(context.bot, message.chat_id, person, text)


async def on_checkin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/checkin: the running check-in and what can be done, or the set-up form in Rasa."""
    bridge, chat, user = bridge_of(context), update.effective_chat, update.effective_user
    if not _private(update) or chat is None or user is None:
        return
    if await _danger_after_command(update, context):
        return
    person = bridge.person(user.id)
    if await bridge.handoff.active_for_person(person) is not None:
        # In a live chat what is typed goes to the worker; the set-up is Rasa's.
        await bridge.send(context.bot, chat.id, [Reply(bridge.library.checkin().in_handoff)])
        return
    running = await bridge.checkins.status(person)
    if running is not None:
        text, buttons = running
        await bridge.send(
            context.bot, chat.id, [Reply(text, tuple(Button(t, d) for t, d in buttons))]
        )
        return
    await bridge.converse(context.bot, chat.id, person, CHECKIN_PAYLOAD)


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/contact NAME invites a trusted contact, shown NAME; /contact alone shows the current one."""
    bridge, chat, user = bridge_of(context), update.effective_chat, update.effective_user
    if not _private(update) or chat is None or user is None:
        return
    name = without_lone_surrogates(" ".join(context.args or []))
    await bridge.checkins.invite(context.bot, chat.id, bridge.person(user.id), name)


async def on_withdraw(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/withdraw from a trusted contact: they stop being anyone's contact."""
    bridge, chat, user = bridge_of(context), update.effective_chat, update.effective_user
    if _private(update) and chat is not None and user is not None:
        await bridge.checkins.withdraw(context.bot, chat.id, bridge.person(user.id))


async def on_alerts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/alerts: the areas this person gets drug alerts for, as buttons to change them."""
    bridge, chat, user = bridge_of(context), update.effective_chat, update.effective_user
    if not _private(update) or chat is None or user is None:
        return
    if await _danger_after_command(update, context):
        return
    await bridge.alerts.show(context.bot, chat.id, bridge.person(user.id))


async def _checkin_button(
    bridge: Bridge, context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, data: str
) -> None:
    person = bridge.person(user_id)
    if data.startswith(CHECKIN_ACK):
        # Who pressed, not where: only the contact or the worker who was alerted.
        worker = bridge.worker_at(user_id)
        await bridge.checkins.acknowledge(context.bot, chat_id, person, worker, data)
    elif data.startswith(CHECKIN_PREFIX):
        if data.startswith(CHECKIN_HELP):
            # "I need help": the emergency card first, whatever else follows.
            await bridge.send(context.bot, chat_id, bridge.card("emergency_overdose"))
        outcome = await bridge.checkins.tap(context.bot, person, data)
        if outcome is Outcome.REFUSED and not data.startswith(CHECKIN_HELP):
            await bridge.send(context.bot, chat_id, [Reply(bridge.library.checkin().none_running)])
    elif data == CONTACT_REMOVE:
        await bridge.checkins.remove_contact(context.bot, chat_id, person)
    else:
        await bridge.checkins.answer_invite(context.bot, chat_id, person, data)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "/overdose my mate", "/stop": read as the words typed, never met with silence."""
    bridge, message, user = bridge_of(context), update.effective_message, update.effective_user
    if not _private(update) or message is None or user is None:
        return
    words = without_lone_surrogates(message.text or "").strip().lstrip("/")
    text = words.split("@", 1)[0] if " " not in words else words
    if not text.strip():
        await bridge.send(context.bot, message.chat_id, bridge.menu())
        return
    if bridge.flood.allow(bridge.person(user.id)):
        await bridge.converse(context.bot, message.chat_id, bridge.person(user.id), text)
    else:
        await bridge.card_if_danger(context.bot, message.chat_id, text)


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice notes, documents, locations."""
    bridge, chat, user = bridge_of(context), update.effective_chat, update.effective_user
    if not _private(update) or chat is None:
        return
    if bridge.worker_at(chat.id) is not None:
        texts = bridge.library.referral()
        await bridge.send(context.bot, chat.id, [Reply(texts.worker_not_text)])
        return
    if user is not None:
        person = bridge.person(user.id)
        referral = await bridge.tell_worker_if_in_chat(context.bot, person, "not_text_to_worker")
        if referral is not None:
            # In a live chat: the worker answers, so no menu; the person is told what to do.
            name = bridge.handoff.worker_name(referral)
            note = fill(bridge.library.referral().not_text_in_chat, name=name)
            await bridge.send(context.bot, chat.id, [Reply(note)])
            return
    await bridge.send(context.bot, chat.id, bridge.menu(lead=bridge.say("only_text")))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bridge, query, user = bridge_of(context), update.callback_query, update.effective_user
    if query is None or user is None or query.message is None:
        return
    try:
        await query.answer()
    except TelegramError:  # a tap answered late (a slow turn, a restart): still handled
        logger.info("could not acknowledge a button tap (too old)")
    if query.message.chat.type != ChatType.PRIVATE:
        return
    chat_id = query.message.chat.id
    if isinstance(query.message, Message):  # an old message may be inaccessible now
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError:
            logger.info("could not clear a keyboard (message too old or unchanged)")
    if (query.data or "").startswith(END):
        await _end_as_worker(bridge, context, user.id, _number((query.data or "")[len(END) :]))
        return
    if (query.data or "").startswith(FEEDBACK):
        kept = await bridge.handoff.feedback(
            context.bot, chat_id, bridge.person(user.id), query.data or ""
        )
        if kept is None:  # not their referral: show what they can do instead
            await bridge.send(context.bot, chat_id, bridge.menu())
        return  # kept now (thanked), or kept already (a second tap changes nothing)
    if (query.data or "").startswith((CHECKIN_PREFIX, CONTACT_PREFIX)):
        await _checkin_button(bridge, context, chat_id, user.id, query.data or "")
        return
    if (query.data or "").startswith(ALERTS_PREFIX):
        # A private chat's id is its person's: alerts go where the one who tapped can read them.
        await bridge.alerts.tap(context.bot, user.id, bridge.person(user.id), query.data or "")
        return
    if (query.data or "").startswith((ACCEPT, DECLINE)):
        # Who pressed, not where the button is: only the offered worker may answer.
        handoff = bridge.handoff
        await handoff.answer_offer(context.bot, user.id, query.data or "", handoff.now())
        return
    person = bridge.person(user.id)
    if query.data == FORGET_YES:
        # A live chat ends first, so that the worker knows their next message goes elsewhere.
        handoff = bridge.handoff
        await handoff.end(context.bot, chat_id, person, handoff.now(), forgotten=True)
        count = await asyncio.to_thread(bridge.forget, person)
        logger.info("conversation erased on request (%d rows)", count)
        await bridge.send(
            context.bot, chat_id, [Reply(bridge.say("forgotten").replace("{count}", str(count)))]
        )
        return
    if query.data == FORGET_NO:
        await bridge.send(context.bot, chat_id, [Reply(bridge.say("forget_cancelled"))])
        return
    payload = payload_of(query.data or "", bridge.long_payloads)
    if payload is None:
        await bridge.send(context.bot, chat_id, bridge.menu())
        return
    if not bridge.flood.allow(person):
        return
    await bridge.converse(context.bot, chat_id, person, payload)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One place for every error: log its kind (never the update), and never leave silence."""
    error = context.error
    where = ""
    if error is not None and error.__traceback__ is not None:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        where = f" at {frame.filename}:{frame.lineno}"
    # Exception messages can carry URLs with the bot token or message text: name the kind only.
    logger.error("error while handling an update: %s%s", type(error).__name__, where)
    if isinstance(update, Update) and update.effective_chat and _private(update):
        try:
            bridge = bridge_of(context)
            await bridge.send(
                context.bot, update.effective_chat.id, [Reply(bridge.say("unavailable"))]
            )
        except Exception:  # noqa: BLE001 - the error handler itself must not raise
            logger.error("could not tell the person about the error")
