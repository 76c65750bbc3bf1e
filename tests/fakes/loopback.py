"""The lifecycle every HTTP fake shares: a threaded werkzeug server on 127.0.0.1 at a free
port, started in a daemon thread, stopped (waking any "slow" request still waiting through
``_stopping``) and usable as a context manager. Imports nothing from ``pressroom``."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

HOST = "127.0.0.1"


class QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's name
        pass


class LoopbackServer:
    """Subclasses call ``_listen()`` in ``__init__`` (after their own state) and define ``_wsgi``."""

    thread_name = "fake-server"

    def _listen(self, server: Any = None) -> None:
        self._stopping = threading.Event()
        self._server = server or make_server(HOST, 0, self._wsgi, threaded=True, request_handler=QuietHandler)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._server.server_port}"

    def start(self):
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes any "slow" request still waiting
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
