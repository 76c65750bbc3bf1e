"""A worker process for concurrency tests: dispatch until nothing is due, then print how many
deliveries it attempted and how many of them were Telegram sends."""

from __future__ import annotations

import json
import os
import sys
import time

from pressroom import create_app


def main() -> None:
    config = json.loads(sys.argv[1])
    go, deadline = sys.argv[2], time.monotonic() + 120
    app = create_app(config)
    from jobs.claim import worker_identity
    from jobs.dispatch import dispatch_due
    from pressroom.channels.telegram import TelegramChannel

    telegram_sends = []
    real_send = TelegramChannel.send

    def counting_send(self, session, message):
        telegram_sends.append(message.delivery_id)
        return real_send(self, session, message)

    TelegramChannel.send = counting_send

    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.01)
    owner, total, idle = worker_identity(), 0, 0
    while time.monotonic() < deadline and idle < 3:
        count = dispatch_due(app, owner=owner, batch=10, threads=4)
        total += count
        idle = idle + 1 if count == 0 else 0
        if count == 0:
            time.sleep(0.2)
    print(total, len(telegram_sends))


if __name__ == "__main__":
    main()
