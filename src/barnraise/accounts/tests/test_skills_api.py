"""Skills tests: a random draw, a time limit, auto-grading, a cooldown, and a badge on passing."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from barnraise.accounts.models import SkillAttempt, SkillQuestion, SkillTest
from barnraise.accounts.skills import skill_test_create
from barnraise.catalog.services import category_create, listing_create
from barnraise.errors import InvalidInput, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def plumbing(db):
    category = category_create(slug="plumbing", name="Plumbing", kinds=["service"])
    test = SkillTest.objects.create(
        category=category,
        title="Plumbing basics",
        time_limit_minutes=15,
        questions_per_attempt=3,
        pass_mark_percent=60,
        retake_cooldown_days=7,
    )
    for n in range(6):
        SkillQuestion.objects.create(test=test, text=f"Question {n}?", choices=["right", "wrong"], correct=0)
    return test


def answers(attempt, right=3):
    return {q["id"]: (0 if i < right else 1) for i, q in enumerate(attempt["questions"])}


def test_passing_a_test_shows_a_badge_on_the_profile_and_in_search(api_as, api, plumbing):
    # given a member who offers plumbing
    member = api_as(name="Mario")
    listing_create(
        actor=member.user,
        kind="service",
        category=plumbing.category,
        title="Leaky taps fixed",
        unit="job",
        price_amount_minor=5000,
        currency="EUR",
        lat=50.85,
        lng=4.35,
    )
    # when they start the test, get three questions without the answers, and answer them all right
    started = member.call("POST", f"skills-tests/{plumbing.pk}/attempts")
    assert started.status_code == 201
    attempt = started.json()
    assert len(attempt["questions"]) == 3 and "correct" not in str(attempt)
    graded = member.call(
        "POST", f"skills-attempts/{attempt['id']}/submit", json={"answers": answers(attempt)}
    )
    # then they pass, and the badge shows on the profile and in search results
    assert graded.json()["score_percent"] == 100 and graded.json()["passed"] is True
    badge = {"kind": "skill", "label": "Passed: Plumbing basics"}
    assert badge in api.call("GET", f"users/{member.user.pk}").json()["badges"]
    hits = api.call("GET", "listings?q=taps").json()["results"]
    assert [h["title"] for h in hits] == ["Leaky taps fixed"]
    assert badge in hits[0]["author_badges"]


def test_questions_are_drawn_at_random_per_attempt(api_as, plumbing):
    drawn = set()
    for _ in range(6):
        attempt = api_as().call("POST", f"skills-tests/{plumbing.pk}/attempts").json()
        drawn.add(tuple(sorted(q["id"] for q in attempt["questions"])))
    assert len(drawn) > 1


def test_a_failed_test_can_be_retaken_only_after_the_cooldown(api_as, plumbing):
    # given a member who failed (one right of three: 33% < 60%)
    member = api_as()
    attempt = member.call("POST", f"skills-tests/{plumbing.pk}/attempts").json()
    failed = member.call(
        "POST", f"skills-attempts/{attempt['id']}/submit", json={"answers": answers(attempt, 1)}
    )
    assert failed.json()["passed"] is False and failed.json()["score_percent"] == 33
    # when they try again at once, and after seven days
    again = member.call("POST", f"skills-tests/{plumbing.pk}/attempts")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        later = member.call("POST", f"skills-tests/{plumbing.pk}/attempts")
    # then the first is refused with when to come back, the second is allowed
    assert again.status_code == 409 and again.json()["error"]["code"] == "retake_too_soon"
    assert "retry_at" in again.json()["error"]["details"]
    assert later.status_code == 201
    assert member.call("GET", f"users/{member.user.pk}").json()["badges"] == [
        {"kind": "email", "label": "Email verified"}
    ]


def test_answers_after_the_time_limit_or_twice_are_refused(api_as, plumbing):
    member = api_as()
    attempt = member.call("POST", f"skills-tests/{plumbing.pk}/attempts").json()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        late = member.call(
            "POST", f"skills-attempts/{attempt['id']}/submit", json={"answers": answers(attempt)}
        )
    assert late.status_code == 409 and late.json()["error"]["code"] == "attempt_closed"
    assert SkillAttempt.objects.get(pk=attempt["id"]).passed is None


def test_answers_to_other_questions_are_refused_and_others_attempts_are_hidden(api_as, plumbing):
    member = api_as()
    attempt = member.call("POST", f"skills-tests/{plumbing.pk}/attempts").json()
    foreign = {"0190a000-0000-7000-8000-000000000000": 0}
    refused = member.call("POST", f"skills-attempts/{attempt['id']}/submit", json={"answers": foreign})
    assert refused.status_code == 422
    nosy = api_as().call("POST", f"skills-attempts/{attempt['id']}/submit", json={"answers": {}})
    assert nosy.status_code == 404
    assert SkillAttempt.objects.get(pk=attempt["id"]).submitted_at is None


def test_tests_are_listed_for_anyone(api, plumbing):
    listed = api.call("GET", "skills-tests").json()
    assert [(t["title"], t["category"], t["pass_mark_percent"]) for t in listed] == [
        ("Plumbing basics", "plumbing", 60)
    ]


def test_only_operators_define_tests_and_a_bank_must_be_gradable(make_user):
    category = category_create(slug="garden", name="Garden", kinds=["service"])
    operator = make_user(is_staff=True)
    operator.groups.add(Group.objects.get(name="support"))
    bank = [("Prune roses when?", ["Late winter", "Midsummer"], 0)]
    with pytest.raises(PermissionDenied):
        skill_test_create(actor=make_user(), category=category, title="Gardening", questions=bank)
    with pytest.raises(InvalidInput):
        skill_test_create(
            actor=operator, category=category, title="Gardening", questions=[("Q?", ["Only"], 0)]
        )
    assert not SkillTest.objects.exists()
    made = skill_test_create(actor=operator, category=category, title="Gardening", questions=bank)
    assert made.questions.count() == 1
