"""The reputation formulas, as pure functions (docs/trust.md explains and cites them).

Nothing here reads the database: selectors gather the inputs, services store the results, and
the worked examples in docs/trust.md are checked against these functions by the unit tests.
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Rated:
    """One published review as the formulas see it."""

    counterparty: Hashable  # who wrote it
    stars: int  # 1–5, public
    private_score: int | None  # 0–10 "would recommend", private
    at: datetime  # when it was published


@dataclass(frozen=True)
class Score:
    score: float | None  # the Bayesian average, 1–5; None without reviews
    mean: float | None  # the plain mean of the public stars
    reviews: int
    counterparties: int


def review_value(stars: int, private_score: int | None) -> float:
    """A review's value on the 1–5 scale: its stars, averaged with the private score (0–10 mapped
    linearly onto 1–5) when one was given. Private feedback is the more candid signal."""
    if private_score is None:
        return float(stars)
    return (stars + 1 + 4 * private_score / 10) / 2


def recency_weight(at: datetime, now: datetime, half_life_days: float) -> float:
    """2^(-age / half-life): a review one half-life old counts half."""
    age_days = max((now - at).total_seconds() / 86400, 0.0)
    return float(0.5 ** (age_days / half_life_days))


def bayesian(
    ratings: Iterable[Rated], *, now: datetime, prior_mean: float, prior_weight: float, half_life_days: float
) -> Score:
    """score = (v·R + m·C) / (v + m), counting each counterparty once.

    Each counterparty c contributes its recency-weighted mean value x_c with the weight W_c of
    its most recent review; v = Σ W_c and R = Σ W_c·x_c / v. Five reviews from one friend add
    at most 1 to v, where five different members add up to 5.
    """
    by_counterparty: dict[Hashable, list[Rated]] = defaultdict(list)
    stars: list[int] = []
    for rated in ratings:
        by_counterparty[rated.counterparty].append(rated)
        stars.append(rated.stars)
    if not stars:
        return Score(None, None, 0, 0)
    v = 0.0
    weighted_sum = 0.0
    for own in by_counterparty.values():
        weights = [recency_weight(r.at, now, half_life_days) for r in own]
        values = [review_value(r.stars, r.private_score) for r in own]
        x_c = sum(w * x for w, x in zip(weights, values, strict=True)) / sum(weights)
        w_c = max(weights)
        v += w_c
        weighted_sum += w_c * x_c
    score = (weighted_sum + prior_weight * prior_mean) / (v + prior_weight)
    return Score(score, sum(stars) / len(stars), len(stars), len(by_counterparty))


@dataclass(frozen=True)
class Outcome:
    """One finished deal as job success sees it."""

    counterparty: Hashable
    success: bool  # completed without a dispute or a cancellation by this member
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class JobSuccess:
    share: float | None  # 0–1; None below the minimum
    counted: int
    by_value: bool  # weighted by value (one currency) or counted


def job_success(outcomes: Iterable[Outcome], *, min_count: int) -> JobSuccess:
    """Successful deals over counted deals, weighted by value when they share one currency
    (amounts in different currencies cannot be added without a rate), else counted. Shown only
    after `min_count` deals with at least `min_count` different counterparties."""
    counted = list(outcomes)
    counterparties = {o.counterparty for o in counted}
    by_value = len({o.currency for o in counted}) == 1 and sum(o.amount_minor for o in counted) > 0
    if len(counted) < min_count or len(counterparties) < min_count:
        return JobSuccess(None, len(counted), by_value)
    if by_value:
        total = sum(o.amount_minor for o in counted)
        good = sum(o.amount_minor for o in counted if o.success)
    else:
        total, good = len(counted), sum(1 for o in counted if o.success)
    return JobSuccess(good / total, len(counted), by_value)
