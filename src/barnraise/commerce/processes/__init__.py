"""Every published process version. Add a version; never change one that has run."""

from barnraise.commerce.processes.booking import BOOKING_V1, BOOKING_V2, BOOKING_V3, BOOKING_V4
from barnraise.commerce.processes.definitions import Process
from barnraise.commerce.processes.inquiry import INQUIRY_V1
from barnraise.commerce.processes.purchase import PURCHASE_V1, PURCHASE_V2
from barnraise.commerce.processes.request import REQUEST_V1, REQUEST_V2

PROCESSES: dict[tuple[str, int], Process] = {
    (p.name, p.version): p
    for p in (
        INQUIRY_V1,
        PURCHASE_V1,
        BOOKING_V1,
        REQUEST_V1,
        PURCHASE_V2,
        BOOKING_V2,
        REQUEST_V2,
        BOOKING_V3,
        BOOKING_V4,
    )
}


def latest(name: str) -> Process | None:
    versions = [p for (n, _v), p in PROCESSES.items() if n == name]
    return max(versions, key=lambda p: p.version) if versions else None


def get(name: str, version: int) -> Process:
    return PROCESSES[(name, version)]


def names() -> list[str]:
    return sorted({name for name, _version in PROCESSES})
