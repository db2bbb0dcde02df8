"""A local SMTP sink for the embedded default: accepts every message and keeps it as a file.

Each message becomes `<UTC timestamp>-<seq>-<first recipient>.eml` in the directory, exactly as
received plus `Return-Path` and `X-Original-To` lines (the envelope), so any mail client can
open it. Nothing is relayed anywhere. One log line per message: recipients and subject, and the
link to sopflow's task or sign-in page when the message has one (so the console of `make run`
alone is enough to follow a walk-through).

    python -m sopflow.mailsink --host 127.0.0.1 --port 8025 --dir var/mail
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import logging
import os
import re
import signal
import socket
import threading
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from pathlib import Path

log = logging.getLogger("sopflow.mailsink")

_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]+")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _readable_subject(content: bytes) -> str:
    raw = BytesHeaderParser().parsebytes(content).get("Subject", "")
    try:
        return str(make_header(decode_header(str(raw))))
    except Exception:  # a malformed header is still logged, as is
        return str(raw)


_PAGE_LINK = re.compile(r"https?://\S+?/sop/(?:t|masuk)/[A-Za-z0-9_.\-]+")


def _page_link(content: bytes) -> str | None:
    """The first task or sign-in link of the message's plain-text part."""
    import email
    import email.policy

    try:
        message = email.message_from_bytes(content, policy=email.policy.default)
        body = message.get_body(("plain",))
        match = _PAGE_LINK.search(body.get_content()) if body is not None else None
    except Exception:  # a message we cannot parse is still stored and logged
        return None
    return match.group(0) if match else None


class _Handler:
    def __init__(self, sink: "MailSink"):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:
        try:
            self.sink._store(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        except Exception:  # tell the client, so its outbox keeps the message
            log.exception("mail sink: could not store a message")
            return "451 Requested action aborted: local error in processing"
        return "250 Message accepted for delivery"


class MailSink:
    """`MailSink(host, port, directory)`; `start()` serves in a background thread, `stop()`
    ends it. Port 0 picks a free port (read it back from `.port`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8025, directory: str | os.PathLike = "var/mail"):
        self.host = host
        self.port = port
        self.directory = Path(directory)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._controller = None

    def start(self) -> "MailSink":
        from aiosmtpd.controller import Controller

        if self._controller is not None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            self.port = _free_port(self.host)
        controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller
        log.info("mail sink listening on %s:%s, keeping messages in %s", self.host, self.port, self.directory)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "MailSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def messages(self) -> list[Path]:
        """The stored messages, oldest first."""
        return sorted(self.directory.glob("*.eml"))

    def _store(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        first = _UNSAFE.sub("_", rcpt_tos[0] if rcpt_tos else "unknown")[:120]
        envelope = f"Return-Path: <{mail_from}>\r\n".encode("utf-8")
        envelope += b"".join(f"X-Original-To: {r}\r\n".encode("utf-8") for r in rcpt_tos)
        with self._lock:
            while True:
                path = self.directory / f"{stamp}-{next(self._seq):06d}-{first}.eml"
                if not path.exists():
                    break
            partial = path.with_name("." + path.name + ".part")  # readers never see half a file
            partial.write_bytes(envelope + content)
            os.replace(partial, path)
        link = _page_link(content)
        log.info("mail to %s: %s%s", ", ".join(rcpt_tos), _readable_subject(content),
                 f"\n    halaman: {link}" if link else "")
        return path


def main(argv: list[str] | None = None) -> None:
    from sopflow.settings import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m sopflow.mailsink", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.smtp_host)
    parser.add_argument("--port", type=int, default=settings.smtp_port)
    parser.add_argument("--dir", default=str(settings.home / "mail"), help="where .eml files go")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sink = MailSink(args.host, args.port, args.dir).start()
    try:
        stop.wait()
    finally:
        sink.stop()
        log.info("mail sink stopped")


if __name__ == "__main__":
    main()
