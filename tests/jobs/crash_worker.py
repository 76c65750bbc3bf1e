"""A worker process that SIGKILLs itself at a named point of a send, for the crash tests.

Points: ``after_claim`` (rows claimed under its lease, nothing sent), ``during_request``
(a publish request is on the wire; the process dies 0.3 s into it), ``after_response``
(the platform answered "sent" but the answer was never recorded), ``press_midway`` (a press
alert's fan-out: the sixth email handed to the server, its answer never recorded), ``none`` (a healthy
worker that dispatches until nothing is due and prints how many it attempted)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

from pressroom import create_app


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(point: str) -> None:
    from jobs import dispatch
    from pressroom.channels.telegram import TelegramChannel
    from pressroom.services import outbox

    if point == "after_claim":
        real_claim = dispatch.claim

        def claim_then_die(*args, **kwargs):
            claimed = real_claim(*args, **kwargs)
            if claimed.ids:
                _die()
            return claimed

        dispatch.claim = claim_then_die
    elif point == "during_request":
        real_send = TelegramChannel.send

        def send_and_die_midway(self, session, message):
            threading.Timer(0.3, _die).start()
            return real_send(self, session, message)

        TelegramChannel.send = send_and_die_midway
    elif point == "after_response":
        real_record = outbox.record_result

        def die_before_recording(session, delivery, result):
            if delivery.kind == "publish" and result.status == "sent":
                _die()
            return real_record(session, delivery, result)

        outbox.record_result = die_before_recording
    elif point == "press_midway":
        # Mid-fan-out: five alerts recorded as sent, the sixth sent but never recorded.
        real_record = outbox.record_result
        recorded = []

        def die_in_the_middle(session, delivery, result):
            if delivery.kind == "press" and result.status == "sent":
                if len(recorded) == 5:
                    _die()
                recorded.append(delivery.id)
            return real_record(session, delivery, result)

        outbox.record_result = die_in_the_middle
    elif point != "none":
        raise SystemExit(f"unknown crash point {point!r}")


def main() -> None:
    config, point = json.loads(sys.argv[1]), sys.argv[2]
    app = create_app(config)
    _arm(point)
    from jobs.dispatch import dispatch_due

    owner, total, idle = f"crash-{point}-{os.getpid()}", 0, 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and idle < 2:
        count = dispatch_due(app, owner=owner, batch=50, threads=1)
        total += count
        idle = idle + 1 if count == 0 else 0
    print(total)


if __name__ == "__main__":
    main()
