"""The worked examples of docs/trust.md, checked against the formulas."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from barnraise.reputation.models import Reputation
from barnraise.reputation.scoring import Outcome, Rated, bayesian, job_success, review_value
from barnraise.reputation.services import reputations_refresh
from barnraise.reputation.tests.conftest import review

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DOC = {"now": NOW, "prior_mean": 4.0, "prior_weight": 3.0, "half_life_days": 365.0}


def test_example_1_one_friend_five_times_counts_once():
    # given five 5-star reviews today from one member
    friend = [Rated("friend", 5, None, NOW) for _ in range(5)]
    # then v = 1 and the score is 17/4
    score = bayesian(friend, **DOC)
    assert score.score == pytest.approx(4.25)
    assert (score.reviews, score.counterparties, score.mean) == (5, 1, 5.0)


def test_example_2_five_different_members_outrank_one_friend():
    # given five 5-star reviews today from five members
    five = [Rated(f"member{i}", 5, None, NOW) for i in range(5)]
    friend = [Rated("friend", 5, None, NOW) for _ in range(5)]
    # then the score is 37/8, above the friend's 4.25
    assert bayesian(five, **DOC).score == pytest.approx(4.625)
    assert bayesian(five, **DOC).score > bayesian(friend, **DOC).score


def test_example_3_a_review_one_half_life_old_counts_half():
    reviews = [Rated("a", 5, None, NOW), Rated("b", 1, None, NOW - timedelta(days=365))]
    assert bayesian(reviews, **DOC).score == pytest.approx(17.5 / 4.5)
    assert round(bayesian(reviews, **DOC).score or 0, 3) == 3.889


def test_example_4_the_private_score_counts_as_much_as_the_stars():
    assert review_value(4, 10) == pytest.approx(4.5)
    assert review_value(4, 0) == pytest.approx(2.5)
    assert review_value(4, None) == 4.0


def test_no_reviews_means_no_score():
    assert bayesian([], **DOC).score is None


def test_a_newcomer_with_one_review_stays_near_the_marketplace_mean():
    one_bad = bayesian([Rated("a", 1, None, NOW)], **DOC).score
    assert one_bad == pytest.approx((1 + 12) / 4)  # 3.25, not 1


def test_example_5_job_success_is_weighted_by_value():
    deals = [
        Outcome("x", True, 10000, "EUR"),
        Outcome("y", True, 30000, "EUR"),
        Outcome("z", False, 10000, "EUR"),
    ]
    result = job_success(deals, min_count=2)
    assert result.share == pytest.approx(0.8) and result.by_value


def test_example_6_mixed_currencies_are_counted():
    deals = [
        Outcome("x", True, 10000, "EUR"),
        Outcome("y", True, 30000, "EUR"),
        Outcome("z", False, 10000, "USD"),
    ]
    result = job_success(deals, min_count=2)
    assert result.share == pytest.approx(2 / 3) and not result.by_value


def test_example_7_job_success_shows_only_after_the_minimum():
    assert job_success([Outcome("x", True, 10000, "EUR")], min_count=2).share is None
    # two deals but one counterparty is not enough either
    same = [Outcome("x", True, 10000, "EUR"), Outcome("x", True, 10000, "EUR")]
    assert job_success(same, min_count=2).share is None


@pytest.mark.django_db
def test_the_nightly_refresh_lets_a_quiet_score_drift_back_to_the_marketplace_mean(
    api_as, completed_deal, django_capture_on_commit_callbacks
):
    # given a provider with a 1-star review, then a 5-star one from someone else a year later
    # (the only reviews, so the marketplace mean C is 3)
    pat = api_as(name="Pat")
    first_customer, second_customer = api_as(), api_as()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tx = completed_deal(first_customer.user, pat.user)
        review(first_customer, tx, rating=1)
        review(pat, tx, rating=5)
    with time_machine.travel(start + timedelta(days=365), tick=False):
        tx = completed_deal(second_customer.user, pat.user)
        review(second_customer, tx, rating=5)
        review(pat, tx, rating=5)
        fresh = Reputation.objects.get(user=pat.user, role="provider").score
    assert fresh == pytest.approx((0.5 * 1 + 1 * 5 + 3 * 3) / (1.5 + 3))  # weights ½ and 1
    # when the nightly refresh runs another year on, with no new review
    with time_machine.travel(start + timedelta(days=730), tick=False):
        assert reputations_refresh() >= 3
    # then both reviews weigh half as much again, and the score moves towards C
    later = Reputation.objects.get(user=pat.user, role="provider").score
    assert later == pytest.approx((0.25 * 1 + 0.5 * 5 + 3 * 3) / (0.75 + 3))
    assert 3.0 < later < fresh
