"""A worker killed in the middle of a press alert's fan-out (tests/jobs/crash_worker.py,
point ``press_midway``): after the reaper and a restart every recipient got the alert exactly
once on their channel, or is listed ``unknown`` for a person to check; nobody is skipped.
Counted at a real SMTP server on loopback (aiosmtpd with STARTTLS)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from jobs import dispatch
from pressroom import clock
from pressroom.models import Delivery
from tests.conftest import ROOT, Factory, open_test_session, reload
from tests.fakes.smtp_server import FakeSMTPServer, make_certificate
from tests.press.helpers import approved_release, journalist

RECIPIENTS = 30



def _worker(app, smtp, point: str) -> subprocess.CompletedProcess:
    keys = ("DATABASE_URL", "STORAGE_PATH", "INSTANCE_PATH", "ENCRYPTION_KEYS")
    config = {key: app.config[key] for key in keys}
    config.update(SMTP_HOST=smtp.host, SMTP_PORT=smtp.port, SMTP_SECURITY="starttls",
                  MAIL_SENDER="Humas Jateng <humas@jatengprov.go.id>", SMTP_CA_FILE=str(smtp.cert_file))
    return subprocess.run([sys.executable, "-m", "tests.jobs.crash_worker", json.dumps(config), point],
                          cwd=ROOT, capture_output=True, text=True, timeout=90)


def test_a_worker_killed_mid_fan_out_skips_nobody_and_sends_nobody_twice(app_factory, tmp_path):
    make_certificate(tmp_path)
    with FakeSMTPServer(tmp_path) as smtp:
        app = app_factory(SANDBOX_CHANNELS="")  # nothing in-process sends; the workers do
        session = open_test_session(app)
        factory = Factory(app, session)
        opd = factory.opd("DISKOMINFO")
        editor = factory.user("editor", opd)
        people = [journalist(session, editor, opd, email=f"wartawan{i}@media.example", consent=("email",))
                  for i in range(RECIPIENTS)]
        session.commit()
        approved_release(session, factory, opd, editor=editor)
        session.close()

        crashed = _worker(app, smtp, "press_midway")
        assert crashed.returncode == -9, (crashed.returncode, crashed.stdout, crashed.stderr[-2000:])
        with clock.frozen(clock.now() + dispatch.LEASE + timedelta(seconds=1)):
            dispatch.reap(app)
        restarted = _worker(app, smtp, "none")
        assert restarted.returncode == 0, restarted.stderr[-2000:]

        session = open_test_session(app)
        reload(session)
        rows = session.scalars(select(Delivery).where(Delivery.kind == "press")).all()
        received = Counter(m.rcpt_tos[0] for m in smtp.messages if m.rcpt_tos[0].endswith("@media.example"))
        statuses = Counter(d.status for d in rows)
        assert len(rows) == RECIPIENTS and statuses == {"sent": RECIPIENTS - 1, "unknown": 1}, statuses
        # Everyone received it exactly once — the one in doubt too (it had reached the server).
        assert set(received) == {p.emails[0].address for p in people}
        assert set(received.values()) == {1}
        doubtful = next(d for d in rows if d.status == "unknown")
        assert doubtful.attempts == 1 and "check" in doubtful.last_error
        session.close()
