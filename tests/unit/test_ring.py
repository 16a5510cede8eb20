import threading

import numpy as np

from rtstt.audio.ring import AudioRing


def test_reads_back_in_order_across_the_wrap():
    ring = AudioRing(10)
    ring.write(np.arange(7, dtype=np.float32))
    assert ring.read(5).tolist() == [0, 1, 2, 3, 4]
    ring.write(np.arange(7, 13, dtype=np.float32))  # wraps around the end of the buffer
    assert ring.read().tolist() == [5, 6, 7, 8, 9, 10, 11, 12]
    assert ring.dropped == 0


def test_overflow_drops_the_oldest_audio_and_counts_it():
    ring = AudioRing(8)
    ring.write(np.arange(6, dtype=np.float32))
    ring.write(np.arange(6, 12, dtype=np.float32))
    assert ring.dropped == 4
    assert ring.read().tolist() == list(range(4, 12))


def test_a_block_larger_than_the_ring_keeps_its_newest_part():
    ring = AudioRing(4)
    ring.write(np.arange(10, dtype=np.float32))
    assert ring.read().tolist() == [6, 7, 8, 9]
    assert ring.dropped == 6


def test_empty_read_returns_empty_and_waits_at_most_the_timeout():
    ring = AudioRing(4)
    assert ring.read(timeout=0.01).size == 0


def test_reader_wakes_when_the_writer_delivers():
    ring = AudioRing(100)
    threading.Timer(0.05, lambda: ring.write(np.ones(3, dtype=np.float32))).start()
    assert ring.read(timeout=2.0).tolist() == [1, 1, 1]


def test_concurrent_writer_and_reader_lose_nothing_when_the_ring_is_big_enough():
    ring = AudioRing(1 << 16)
    total = 200 * 160

    def produce() -> None:
        for i in range(200):
            ring.write(np.arange(i * 160, (i + 1) * 160, dtype=np.float32))

    writer = threading.Thread(target=produce)
    writer.start()
    got: list[np.ndarray] = []
    n = 0
    while n < total:
        block = ring.read(timeout=0.5)
        got.append(block)
        n += len(block)
    writer.join()
    assert np.array_equal(np.concatenate(got), np.arange(total, dtype=np.float32))


def test_history_slices_segments_back_out_by_absolute_sample():
    from rtstt.audio.ring import AudioHistory

    hist = AudioHistory(100)
    for i in range(0, 250, 30):
        hist.write(np.arange(i, min(i + 30, 250), dtype=np.float32))
    assert hist.total == 250
    assert hist.slice(200, 205).tolist() == [200, 201, 202, 203, 204]
    assert hist.slice(100, 160).tolist() == list(range(150, 160))  # older samples are gone
    assert hist.slice(240, 300).tolist() == list(range(240, 250))
    hist.write(np.arange(250, 500, dtype=np.float32))  # a block larger than the history
    assert hist.total == 500 and hist.slice(495, 500).tolist() == [495, 496, 497, 498, 499]
