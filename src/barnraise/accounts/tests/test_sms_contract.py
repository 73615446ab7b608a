"""Every SMS sender honours the Protocol: it takes an E.164 number and refuses anything else."""

import logging

import pytest
from django.utils.module_loading import import_string

from barnraise.accounts import sms


@pytest.fixture(params=sms.SENDERS)
def sender(request):
    return import_string(request.param)()


def test_a_sender_takes_an_e164_number(sender, caplog):
    sms.MemorySender.outbox.clear()
    with caplog.at_level(logging.WARNING, logger="barnraise.accounts.sms"):
        sender.send(to="+32470123456", body="Your code: 123456")
    delivered = sms.MemorySender.outbox + [(r.args[0], r.args[1]) for r in caplog.records if r.args]
    assert ("+32470123456", "Your code: 123456") in delivered


@pytest.mark.parametrize("to", ["0470123456", "+32 470", "", "+abc"])
def test_a_sender_refuses_what_is_not_e164(sender, to):
    with pytest.raises(sms.SmsNotSent):
        sender.send(to=to, body="x")


def test_the_console_sender_is_the_default(settings):
    assert not hasattr(settings, "BARNRAISE_SMS_SENDER")
    assert isinstance(sms.sender(), sms.ConsoleSender)
