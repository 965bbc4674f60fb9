"""The `blether` command: what workers and editors run in a terminal."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from blether.settings import Settings, SettingsError

ASK_SENDER = "blether-ask"


def _load_agent(settings: Settings, model: Path, with_actions: bool) -> Any:
    # Rasa is imported here, not at module level: it takes seconds and most commands don't need it.
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    # Rasa's debug events carry message text; workers' terminals get warnings only.
    configure_structlog(logging.WARNING)

    if not model.exists():
        raise SystemExit(f"blether: no trained model at {model}; run `make model` first")
    endpoint = EndpointConfig(settings.action_server_url) if with_actions else None
    return Agent.load(str(model), action_endpoint=endpoint)


def format_reply(message: dict[str, Any]) -> str:
    parts = [str(message.get("text") or "")]
    buttons = message.get("buttons") or []
    if buttons:
        parts.append("  ".join(f"[{b.get('title')}]" for b in buttons))
    return "\n".join(p for p in parts if p)


def format_entities(entities: list[dict[str, Any]]) -> str:
    shown = []
    for e in entities:
        said = (e.get("additional_info") or {}).get("said") or e.get("value")
        cls = (e.get("additional_info") or {}).get("class", "")
        shown.append(
            f"{said} -> {e.get('value')} ({cls})" if cls else f"{said} -> {e.get('value')}"
        )
    return ", ".join(shown) or "none"


async def _ask(settings: Settings, text: str, model: Path) -> int:
    agent = _load_agent(settings, model, with_actions=True)
    parsed = await agent.parse_message(text)
    replies = await agent.handle_text(text, sender_id=ASK_SENDER)
    tracker = await agent.tracker_store.retrieve(ASK_SENDER)
    intent = parsed.get("intent") or {}
    safety = parsed.get("safety_net")
    print(
        f"topic:       {intent.get('name')} (confidence {float(intent.get('confidence', 0)):.2f})"
    )
    print(f"read as:     {parsed.get('text')}")
    if safety:
        print(f"safety net:  forced {safety['topic']} (rule: {safety['pattern'][:60]})")
    print(f"entities:    {format_entities(parsed.get('entities') or [])}")
    answered = tracker.get_slot("answered_from") if tracker else None
    print(f"answered by: {answered or 'dialogue prompt in domain.yml'}")
    print("reply:")
    for message in replies or []:
        print("  " + format_reply(message).replace("\n", "\n  "))
        print("  ---")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from blether.action_server import running_action_server
    from blether.chat import quiet_logging

    # Rasa's libraries warn as they load: into var/ask.log, not over the answer.
    quiet_logging(Path("var") / "ask.log")
    log = Path("var") / "action-server.log"
    with running_action_server(settings.action_server_port, log):
        return asyncio.run(_ask(settings, args.text, Path(args.model or settings.model_path)))


# Safety files: the share of harmless messages that may set off a card, model and rules alike.
MAX_FALSE_ALARMS = 0.02


def _labelled(path: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(path)).intent_examples
    return [(e.get("text"), e.get("intent")) for e in examples if e.get("text")]


async def _eval(
    settings: Settings, path: Path, model: Path, safety: bool, min_accuracy: float = 0.0
) -> int:
    from blether.evaluation import Scored, render, score

    examples = _labelled(path)
    if not examples:
        print(f"blether eval: no labelled messages in {path}", file=sys.stderr)
        return 2
    agent = _load_agent(settings, model, with_actions=False)
    results = []
    for text, expected in examples:
        parsed = await agent.parse_message(text)
        predicted = (parsed.get("intent") or {}).get("name") or ""
        results.append(Scored(text, expected, predicted))
    if safety:
        return _safety_verdict(settings, results)
    report = score(results)
    print(render(report))
    if not report.safety_ok:
        print("FAIL: safety recall is below 100%", file=sys.stderr)
        return 1
    if report.accuracy < min_accuracy:
        print(
            f"FAIL: overall accuracy {report.accuracy:.1%} is below {min_accuracy:.0%}",
            file=sys.stderr,
        )
        return 1
    return 0


def _safety_verdict(settings: Settings, model_results: list) -> int:
    """The model's figures and, on the same messages, the bridge alone and the rules alone."""
    from blether.content import ContentLibrary
    from blether.danger import DangerModelSource, ReadAlone
    from blether.evaluation import Scored, render_safety, score_safety
    from blether.safety import SafetyNetSource

    source = SafetyNetSource(ContentLibrary(settings.content_dir))
    net = source.get()
    models = DangerModelSource(settings.danger_model_path)
    if models.get() is None:
        print(f"blether eval: no danger model at {settings.danger_model_path}", file=sys.stderr)
        return 2
    alone = ReadAlone(source, models, settings.danger_above)
    rule_results, alone_results = [], []
    for r in model_results:
        match = net.check(r.text)
        rule_results.append(Scored(r.text, r.expected, match.topic if match else "none"))
        read = alone.read(r.text)
        alone_results.append(Scored(r.text, r.expected, read.topic if read else "none"))
    reports = [
        score_safety(
            "whole model (Rasa NLU with the rules and the danger model inside)", model_results
        ),
        score_safety(
            "bridge alone (rules, then the danger model: Rasa down, a worker chatting)",
            alone_results,
        ),
        score_safety("rules alone (content/safety.yml)", rule_results),
    ]
    print("\n".join(render_safety(r) for r in reports))
    failed = [r.name for r in reports if not r.passes(MAX_FALSE_ALARMS)]
    for name in failed:
        print(
            f"FAIL: {name}: recall must be 100% and false alarms at most {MAX_FALSE_ALARMS:.0%}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def cmd_danger_train(args: argparse.Namespace, settings: Settings) -> int:
    from blether.content import ContentLibrary
    from blether.danger import train_from
    from blether.safety import SafetyNetSource

    out = Path(args.out) if args.out else settings.danger_model_path
    normalise = SafetyNetSource(ContentLibrary(settings.content_dir)).normaliser()
    try:
        _, counts = train_from([Path(d) for d in args.data], normalise, out)
    except (OSError, ValueError) as error:
        print(f"blether danger train: {error}", file=sys.stderr)
        return 1
    shown = ", ".join(f"{label} {n}" for label, n in sorted(counts.items()))
    print(f"danger model trained on {sum(counts.values())} examples ({shown}): {out}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    model = Path(args.model or settings.model_path)
    return asyncio.run(
        _eval(settings, Path(args.file), model, args.safety, args.min_accuracy / 100)
    )


def cmd_with_actions(args: argparse.Namespace, settings: Settings) -> int:
    from blether.action_server import running_action_server

    command = [c for c in args.command if c != "--"]
    if not command:
        print("blether with-actions: give a command after --", file=sys.stderr)
        return 2
    with running_action_server(settings.action_server_port, Path("var") / "action-server.log"):
        return subprocess.call(command)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from blether.chat import run_chat

    return run_chat(settings, Path(args.model or settings.model_path))


def cmd_telegram(args: argparse.Namespace, settings: Settings) -> int:
    from blether.bridge.app import run

    logging.getLogger().setLevel(logging.INFO)
    run(settings)
    return 0


def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    from blether.content.check import check_folder, render_report

    findings = check_folder(settings.content_dir)
    print(render_report(findings, settings.content_dir))
    return 1 if any(f.severity == "error" for f in findings) else 0


def cmd_content_preview(args: argparse.Namespace, settings: Settings) -> int:
    from blether.content import ContentError, ContentLibrary
    from blether.preview import render_text, render_topic
    from blether.topics import ADVICE_TOPICS

    if args.topic not in ADVICE_TOPICS:
        print(
            f"blether: '{args.topic}' is not an advice topic; one of: {', '.join(ADVICE_TOPICS)}",
            file=sys.stderr,
        )
        return 2
    library = ContentLibrary(settings.content_dir)
    mentions = []
    if args.substances:
        from blether.lexicon import SubstanceLexicon

        mentions = SubstanceLexicon(library.substances()).find(args.substances.replace(",", " , "))
    try:
        print(render_text(render_topic(library, args.topic, mentions)))
    except ContentError as error:
        print(f"blether: cannot preview {args.topic}: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_content_diff(args: argparse.Namespace, settings: Settings) -> int:
    from blether.content.diff import RevisionError, diff_since, render_diff

    try:
        topics, files = diff_since(settings.content_dir, args.revision)
    except RevisionError as error:
        print(f"blether: {error}", file=sys.stderr)
        return 2
    print(render_diff(topics, files, args.revision, show_text=args.text))
    return 0


def cmd_content_report(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from blether.db import make_engine, make_sessionmaker, upgrade
    from blether.served import render_served, served_since

    try:
        since = dt.date.fromisoformat(args.since)
    except ValueError:
        print(
            f"blether: --since must be a date like 2026-11-01, not {args.since!r}", file=sys.stderr
        )
        return 2
    upgrade(settings.database_url)
    with make_sessionmaker(make_engine(settings.database_url)).begin() as session:
        print(render_served(served_since(session, since), since))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from blether.db import upgrade

    upgrade(settings.database_url)
    print("app database is at the latest schema")
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from blether.doctor import render, run_checks

    findings = asyncio.run(run_checks(settings))
    print(render(findings))
    return 0 if all(f.ok for f in findings) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blether", description=__doc__)
    sub = parser.add_subparsers(dest="command_name", required=True)

    ask = sub.add_parser(
        "ask", help="show the topic, entities, advice file and reply for a message"
    )
    ask.add_argument("text")
    ask.add_argument("--model", help="model archive (default: models/blether.tar.gz)")
    ask.set_defaults(run=cmd_ask)

    chat = sub.add_parser(
        "chat", help="talk to Blether here, through the real Rasa and action servers"
    )
    chat.add_argument("--model", help="model archive (default: models/blether.tar.gz)")
    chat.set_defaults(run=cmd_chat)

    ev = sub.add_parser("eval", help="score the model on a Rasa NLU YAML file of labelled messages")
    ev.add_argument("file")
    ev.add_argument("--model")
    ev.add_argument(
        "--safety",
        action="store_true",
        help="a safety file: recall, exact topic and false alarms, for the model and the rules",
    )
    ev.add_argument(
        "--min-accuracy",
        type=float,
        default=0.0,
        metavar="PERCENT",
        help="fail when overall topic accuracy is below this (make test uses 95)",
    )
    ev.set_defaults(run=cmd_eval)

    danger = sub.add_parser("danger", help="the danger model").add_subparsers(
        dest="danger_command", required=True
    )
    train = danger.add_parser(
        "train", help="train the danger model on Rasa's NLU examples (make model runs it)"
    )
    train.add_argument(
        "--data",
        nargs="+",
        default=["data/nlu", "danger_data"],
        help="folders of Rasa NLU files (default: data/nlu danger_data)",
    )
    train.add_argument("--out", help="where to save it (default: BLETHER_DANGER_MODEL)")
    train.set_defaults(run=cmd_danger_train)

    content = sub.add_parser("content", help="tools for content editors").add_subparsers(
        dest="content_command", required=True
    )
    check = content.add_parser("check", help="validate every content file")
    check.set_defaults(run=cmd_content_check)
    preview = content.add_parser("preview", help="show a topic as a person would see it")
    preview.add_argument("topic")
    preview.add_argument("--substances", help="comma-separated, e.g. blues,methadone")
    preview.set_defaults(run=cmd_content_preview)
    diff = content.add_parser("diff", help="topics whose served text changed since a git revision")
    diff.add_argument("revision", nargs="?", default="HEAD")
    diff.add_argument("--text", action="store_true", help="show the changed text too")
    diff.set_defaults(run=cmd_content_diff)
    report = content.add_parser("report", help="answers served per topic and version")
    report.add_argument("--since", required=True, help="a date, e.g. 2026-11-01")
    report.set_defaults(run=cmd_content_report)

    doctor = sub.add_parser(
        "doctor", help="check settings, content, databases, Rasa and the action server"
    )
    doctor.set_defaults(run=cmd_doctor)

    db = sub.add_parser("db", help="app database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="migrate to the latest schema").set_defaults(run=cmd_db_upgrade)

    from blether import staff, staff_alerts, staff_checkins

    staff.add_commands(sub)
    staff_checkins.add_commands(sub)
    staff_alerts.add_commands(sub)

    tg = sub.add_parser("telegram", help="run the Telegram bridge (polling, or webhook if set)")
    tg.set_defaults(run=cmd_telegram)

    wa = sub.add_parser("with-actions", help="run a command while the action server runs")
    wa.add_argument("command", nargs=argparse.REMAINDER)
    wa.set_defaults(run=cmd_with_actions)
    return parser


def main(argv: list[str] | None = None) -> int:
    # TensorFlow (pulled in by spaCy and Rasa) prints start-up chatter otherwise.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.run(args, Settings.from_env()))
    except (RuntimeError, SettingsError) as error:
        print(f"blether: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
