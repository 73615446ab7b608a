"""Public ids (barnraise.ids.uuid7): version 7, ordered, and never repeated across a fork."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from barnraise.ids import uuid7


def test_ids_are_version_7_and_strictly_increasing():
    ids = [uuid7() for _ in range(5_000)]  # more than one pool of random bytes
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("clock", ["now", "stepped back"])
def test_a_forked_child_makes_other_ids_than_its_parent(clock):
    if clock == "stepped back":  # the parent's last id is ahead of the clock: ids count on from it
        with time_machine.travel(datetime.now(UTC) + timedelta(days=1)):
            uuid7()
    uuid7()  # the parent has random bytes in hand
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, through the pipe
        os.close(read)
        os.write(write, b"".join(uuid7().bytes for _ in range(50)))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    child = {data[i : i + 16][-8:] for i in range(0, len(data), 16)}  # the random tail (rand_b)
    parent = {uuid7().bytes[-8:] for _ in range(50)}
    assert len(child) == 50
    assert not child & parent
