"""Both parties review at the same moment, each on its own connection: both get published."""

import threading

import pytest
from django.db import connection

from barnraise.reputation.models import Review
from barnraise.reputation.services import review_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_two_reviews_at_once_are_both_published(make_user, completed_deal):
    for _ in range(3):
        # given a completed deal
        cam, pat = make_user(name="Cam"), make_user(name="Pat")
        tx = completed_deal(cam, pat)
        barrier = threading.Barrier(2)
        errors: list[Exception] = []

        def write(author, tx=tx, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                review_create(actor=author, transaction_id=tx.pk, rating=5, text="At once")
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        # when both parties post their review in the same instant
        threads = [threading.Thread(target=write, args=(who,)) for who in (cam, pat)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # then neither waits for a timer: both are public
        assert errors == []
        assert Review.objects.filter(transaction_id=tx.pk).count() == 2
        assert not Review.objects.filter(transaction_id=tx.pk, published_at=None).exists()
