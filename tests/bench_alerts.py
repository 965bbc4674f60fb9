"""`make bench`, part two: a drug alert broadcast to 1,000 subscribers through the fake Bot API.

Prints the broadcast rate, the most messages Telegram got in any one second (its limit is
about 30), and how long a person waited for /emergency while the broadcast went out.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from blether.cli import main as blether
from blether.db import upgrade
from tests.alert_files import write_alert
from tests.conftest import ROOT
from tests.fake_telegram import FakeTelegram
from tests.stack import TOKEN, stop, wait_until
from tests.test_bridge_alerts import FIRST_CHAT, Setup, windows

SUBSCRIBERS = 1000
ASKER = 900_000_001


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="blether-bench-alerts-"))
    content = workdir / "content"
    shutil.copytree(ROOT / "content", content)
    database = f"sqlite:///{workdir}/app.db"
    upgrade(database)
    fake = FakeTelegram(TOKEN).start()
    setup = Setup(fake, workdir, content, database)
    try:
        setup.start_bridge()
        chats = range(FIRST_CHAT, FIRST_CHAT + SUBSCRIBERS)
        setup.subscribe_many(chats, "Scotland")
        write_alert(content, "bench", areas="[Scotland]")
        os.environ.update({"DATABASE_URL": database, "BLETHER_CONTENT_DIR": str(content)})
        started = time.monotonic()
        if blether(["alerts", "publish", "bench", "--no-wait"]) != 0:
            return 1
        waits = []
        while sum(setup.alerts_to(chats).values()) < SUBSCRIBERS * 0.8:
            asked = time.monotonic()
            before = len(fake.sent(ASKER))
            fake.send_text(ASKER, "/emergency")
            fake.wait_for(ASKER, before + 1, timeout=60)
            waits.append(time.monotonic() - asked)
            time.sleep(0.5)
        wait_until(
            lambda: sum(setup.alerts_to(chats).values()) >= SUBSCRIBERS, 300, "the broadcast"
        )
        elapsed = time.monotonic() - started
        times = [
            c.at
            for c in fake.calls
            if c.method == "sendMessage" and int(c.params["chat_id"]) in chats
        ]
        print(f"\nalert broadcast to {SUBSCRIBERS} subscribers (bridge only, SQLite)")
        print(
            f"{'seconds':>8} {'msg/s':>7} {'most in 1 s':>12} {'/emergency p50 s':>17} {'max s':>7}"
        )
        print(
            f"{elapsed:>8.1f} {SUBSCRIBERS / elapsed:>7.1f} {windows(times):>12} "
            f"{statistics.median(waits):>17.2f} {max(waits):>7.2f}"
        )
    finally:
        stop(setup.process)  # type: ignore[arg-type]
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
