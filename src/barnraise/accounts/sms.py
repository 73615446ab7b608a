"""Text messages, behind one Protocol. The console sender (the default) writes them to the log.

A deployment picks its sender by dotted path in settings, as it does its own actions:

    BARNRAISE_SMS_SENDER = "myproject.sms.TwilioSender"

A sender must raise SmsNotSent when the provider refuses a message; the contract test
(accounts/tests/test_sms_contract.py) runs every implementation listed in SENDERS.
"""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_SENDER = "barnraise.accounts.sms.ConsoleSender"


class SmsNotSent(Exception):
    """The provider refused or failed to take the message."""


class SmsSender(Protocol):
    def send(self, *, to: str, body: str) -> None:
        """Hand one message to the provider; `to` is E.164 (+32470123456)."""
        ...


class ConsoleSender:
    """Writes each message to the log (and so the console): for development and small installs
    where an operator reads codes out by hand."""

    def send(self, *, to: str, body: str) -> None:
        if not to.startswith("+") or not to[1:].isdigit():
            raise SmsNotSent(f"not an E.164 number: {to!r}")
        logger.warning("SMS to %s: %s", to, body)


class MemorySender:
    """Keeps messages in a list, for tests: `outbox` holds (to, body) pairs."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        if not to.startswith("+") or not to[1:].isdigit():
            raise SmsNotSent(f"not an E.164 number: {to!r}")
        self.outbox.append((to, body))


SENDERS: tuple[str, ...] = (DEFAULT_SENDER, "barnraise.accounts.sms.MemorySender")


def sender() -> SmsSender:
    path = getattr(settings, "BARNRAISE_SMS_SENDER", DEFAULT_SENDER)
    sender_class: type[SmsSender] = import_string(path)
    return sender_class()
