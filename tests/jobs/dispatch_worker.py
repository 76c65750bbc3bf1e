"""A worker process for concurrency tests: dispatch until nothing is due, then print a count."""

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

    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.01)
    owner, total, idle = worker_identity(), 0, 0
    while time.monotonic() < deadline and idle < 3:
        count = dispatch_due(app, owner=owner, batch=10, threads=4)
        total += count
        idle = idle + 1 if count == 0 else 0
        if count == 0:
            time.sleep(0.2)
    print(total)


if __name__ == "__main__":
    main()
