"""Public ids: UUID version 7 (RFC 9562), random but ordered by creation time.

Time order keeps B-tree inserts local on PostgreSQL and lets keyset pagination walk rows in
creation order by id alone. The standard library gains uuid7 only in Python 3.14.

Within one process ids are also strictly increasing when several are made in the same
millisecond (RFC 9562 §6.2, method 2: the random part of the previous id plus one), so "newest
first" holds for rows created back to back.
"""

import os
import threading
import time
import uuid

_RAND_B = 0x3FFF_FFFF_FFFF_FFFF  # the low 62 bits
_lock = threading.Lock()
_last = 0


def uuid7() -> uuid.UUID:
    global _last
    with _lock:
        unix_ms = time.time_ns() // 1_000_000
        rand = int.from_bytes(os.urandom(10), "big")
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
