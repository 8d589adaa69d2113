"""The demo's SMTP sink: a real SMTP server on loopback that files every message in a Maildir.

`python -m demo.mailsink --port 8025 --maildir var/mail`; read the mail with any Maildir
reader (`mutt -f var/mail`) or as files under var/mail/new/.
"""

from __future__ import annotations

import argparse
import mailbox
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


def main() -> None:
    """Serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    args.maildir.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(str(args.maildir), create=True)  # new/ cur/ tmp/ before the first message
    args.maildir.chmod(0o700)  # alert texts concern families: not for every local user
    controller = Controller(Mailbox(str(args.maildir)), hostname=args.host, port=args.port)
    controller.start()
    print(f"SMTP sink on {args.host}:{args.port}, Maildir {args.maildir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
