"""Public ids: UUID version 7 (RFC 9562), random but ordered by creation time.

Time order keeps B-tree inserts local on PostgreSQL and lets keyset pagination walk rows in
creation order by id alone. The standard library gains uuid7 only in Python 3.14.

Within one process ids are also strictly increasing when several are made in the same
millisecond (RFC 9562 §6.2, method 2: the random part of the previous id plus one), so "newest
first" holds for rows created back to back.

The random bits come from the operating system's generator, read a few kilobytes at a time: a
booking makes eight ids, and a system call for each ten bytes was a twentieth of its time. A
forked child drops what its parent had read and the id it would count on from, so no two
processes hand out the same ids.
"""

import os
import threading
import time
import uuid

_RAND_B = 0x3FFF_FFFF_FFFF_FFFF  # the low 62 bits
_RANDOM_BYTES = 10  # 74 random bits an id (12 + 62), in whole bytes
_POOL_SIZE = 4096
_lock = threading.Lock()
_last = 0
_pool = b""
_taken = 0


def _random() -> int:
    """Ten fresh random bytes, as an integer (with the lock held)."""
    global _pool, _taken
    if _taken + _RANDOM_BYTES > len(_pool):
        _pool, _taken = os.urandom(_POOL_SIZE), 0
    start, _taken = _taken, _taken + _RANDOM_BYTES
    return int.from_bytes(_pool[start:_taken], "big")


def _after_fork() -> None:
    """A child starts afresh: its parent's unread random bytes, and the last id it counts on
    from within a millisecond (or past a clock that stepped back), are the parent's."""
    global _pool, _taken, _lock, _last
    _pool, _taken, _lock, _last = b"", 0, threading.Lock(), 0


os.register_at_fork(after_in_child=_after_fork)


def uuid7() -> uuid.UUID:
    global _last
    with _lock:
        unix_ms = time.time_ns() // 1_000_000
        rand = _random()
        value = (unix_ms & 0xFFFF_FFFF_FFFF) << 80
        value |= 0x7 << 76  # version
        value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
        value |= 0b10 << 62  # variant
        value |= rand & _RAND_B  # rand_b, 62 bits
        if value <= _last and (_last & _RAND_B) != _RAND_B:
            # Same millisecond (or the clock stepped back): keep order by counting on.
            value = _last + 1
        _last = value
    return uuid.UUID(int=value)
