"""prefetched(): pages in order, read ahead in a thread, errors where their page would be."""

import threading

import pytest

from core.usecases.prefetch import prefetched


def test_prefetched__yields_every_page_in_order():
    assert list(prefetched(iter(range(50)))) == list(range(50))
    assert list(prefetched(iter([]))) == []


def test_prefetched__reads_the_next_page_while_this_one_is_used():
    asked = []
    second_read = threading.Event()

    def pages():
        for n in range(3):
            asked.append(n)
            if n == 1:
                second_read.set()
            yield n

    it = prefetched(pages())
    assert next(it) == 0
    assert second_read.wait(5)  # read without being asked for
    assert list(it) == [1, 2]


def test_prefetched__an_error_reading_comes_out_after_the_pages_before_it():
    def pages():
        yield 1
        yield 2
        raise ConnectionError("kobo said 500")

    got = []
    with pytest.raises(ConnectionError, match="500"):
        for page in prefetched(pages()):
            got.append(page)
    assert got == [1, 2]


def test_prefetched__stopping_early_stops_the_reader():
    read = []

    def pages():
        for n in range(1_000):
            read.append(n)
            yield n

    it = prefetched(pages(), ahead=1)
    assert next(it) == 0
    it.close()  # the consumer failed storing page 0
    threading.Event().wait(0.5)
    assert len(read) <= 3  # one handed over, one waiting in the queue, one being put
