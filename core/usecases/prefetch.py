"""Read a server's next page while this one is stored.

A pull alternates between waiting on the server (Kobo builds and sends a page of 1,000
records) and on our database; with the reading in a thread the two waits overlap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_POLL = 0.1  # seconds between looks at the stop flag while the consumer is busy


def prefetched(pages: Iterable[T], ahead: int = 1) -> Iterator[T]:
    """The pages in order, up to `ahead` of them read before they are asked for.

    An error reading (a 500 after its retries, a timeout) comes out where its page would
    have. When the consumer stops early (an error storing), the reader stops after the
    request it is in; besides the consumer's, it holds `ahead` pages queued and one in hand.
    """
    items: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item: tuple[str, object]) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for page in pages:
                if not put(("page", page)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))
            return
        put(("done", None))

    reader = threading.Thread(target=read, name="pull-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "page":
                yield value  # type: ignore[misc]
            elif kind == "error":
                assert isinstance(value, BaseException)
                raise value
            else:
                return
    finally:
        stop.set()
