"""Skills tests: a random draw from the category's question bank, timed, auto-graded.

Passing shows a badge on the profile and in search results. Tests are one weak signal among
several (Upwork dropped its tests in 2019: answers leaked and clients trusted verified work
more), so a passed test is a badge, never a score.
"""

import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from barnraise.accounts import operators
from barnraise.accounts.models import SkillAttempt, SkillQuestion, SkillTest, User
from barnraise.accounts.verification import badges_refresh
from barnraise.errors import AttemptClosed, Conflict, InvalidInput, NotFound, PermissionDenied, RetakeTooSoon

# Answers sent this long after the deadline still count (network and page load).
GRACE = timedelta(seconds=30)


def skill_tests_active() -> QuerySet[SkillTest]:
    return SkillTest.objects.filter(active=True).select_related("category").order_by("title")


def skill_test_active(*, test_id: Any) -> SkillTest:
    found = skill_tests_active().filter(pk=test_id).first()
    if found is None:
        raise NotFound()
    return found


def skill_attempt_start(*, actor: User, test_id: Any, rng: random.Random | None = None) -> SkillAttempt:
    """Draw the questions for a new attempt; refused while an attempt runs or the cooldown lasts."""
    test = skill_test_active(test_id=test_id)
    now = timezone.now()
    with transaction.atomic():
        # Lock the member's row: two starts at once must not both pass the checks below.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        last = SkillAttempt.objects.filter(user=actor, test=test).order_by("-started_at").first()
        if last is not None and last.submitted_at is None and now <= last.deadline + GRACE:
            raise Conflict(_("Finish the attempt you started first."), details={"attempt_id": str(last.pk)})
        if last is not None:
            retry_at = last.started_at + timedelta(days=test.retake_cooldown_days)
            if last.passed is not True and now < retry_at:
                raise RetakeTooSoon(details={"retry_at": retry_at.isoformat()})
            if last.passed:
                raise Conflict(_("You have passed this test."))
        bank = list(SkillQuestion.objects.filter(test=test, active=True).values_list("pk", flat=True))
        if not bank:
            raise Conflict(_("This test has no questions yet."))
        drawn = (rng or random.SystemRandom()).sample(bank, min(test.questions_per_attempt, len(bank)))
        return SkillAttempt.objects.create(
            test=test,
            user=actor,
            question_ids=[str(q) for q in drawn],
            started_at=now,
            deadline=now + timedelta(minutes=test.time_limit_minutes),
        )


def skill_attempt_questions(attempt: SkillAttempt) -> list[SkillQuestion]:
    """The attempt's questions in the order drawn (the right answers are the caller's to hide)."""
    by_id = {str(q.pk): q for q in SkillQuestion.objects.filter(pk__in=attempt.question_ids)}
    return [by_id[q] for q in attempt.question_ids if q in by_id]


def skill_attempt_of(*, actor: User, attempt_id: Any) -> SkillAttempt:
    attempt = SkillAttempt.objects.select_related("test").filter(pk=attempt_id).first()
    if attempt is None or attempt.user_id != actor.pk:
        raise NotFound()
    return attempt


def _clean_answers(attempt: SkillAttempt, answers: Any) -> dict[str, int]:
    if not isinstance(answers, dict):
        raise InvalidInput(details={"answers": [_("An object of question id: choice index.")]})
    clean: dict[str, int] = {}
    for key, value in answers.items():
        if str(key) not in attempt.question_ids:
            raise InvalidInput(details={f"answers.{key}": [_("Not a question of this attempt.")]})
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(details={f"answers.{key}": [_("The index of a choice, from 0.")]})
        clean[str(key)] = value
    return clean


def skill_attempt_submit(*, actor: User, attempt_id: Any, answers: Any) -> SkillAttempt:
    """Grade the answers: the share right, against the pass mark. Late or second answers are
    refused; an unanswered question counts as wrong."""
    now = timezone.now()
    with transaction.atomic():
        attempt = (
            SkillAttempt.objects.select_for_update().select_related("test").filter(pk=attempt_id).first()
        )
        if attempt is None or attempt.user_id != actor.pk:
            raise NotFound()
        if attempt.submitted_at is not None or now > attempt.deadline + GRACE:
            raise AttemptClosed(details={"deadline": attempt.deadline.isoformat()})
        clean = _clean_answers(attempt, answers)
        questions = skill_attempt_questions(attempt)
        right = sum(1 for q in questions if clean.get(str(q.pk)) == q.correct)
        attempt.answers = clean
        attempt.submitted_at = now
        attempt.score_percent = round(100 * right / len(questions)) if questions else 0
        attempt.passed = attempt.score_percent >= attempt.test.pass_mark_percent
        attempt.save(update_fields=["answers", "submitted_at", "score_percent", "passed"])
        if attempt.passed:
            badges_refresh(user=actor)
    return attempt


def skill_test_bank_problems(*, actor: User, test: SkillTest) -> list[str]:
    """For the admin: what is wrong with a test's bank (a right answer out of range, too few)."""
    if not operators.operator_in(actor, operators.SUPPORT):
        raise PermissionDenied()
    problems = []
    questions = list(test.questions.filter(active=True))
    for q in questions:
        if not isinstance(q.choices, list) or len(q.choices) < 2:
            problems.append(_("“%s” needs at least two choices.") % q.text[:60])
        elif q.correct >= len(q.choices):
            problems.append(_("“%s”: the right answer is not one of the choices.") % q.text[:60])
    if len(questions) < test.questions_per_attempt:
        problems.append(_("The bank has fewer questions than an attempt draws."))
    return problems


def skill_test_create(
    *,
    actor: User,
    category: Any,
    title: str,
    questions: list[tuple[str, list[str], int]],
    description: str = "",
    time_limit_minutes: int = 20,
    questions_per_attempt: int = 10,
    pass_mark_percent: int = 70,
    retake_cooldown_days: int = 30,
) -> SkillTest:
    """An operator defines a category's test and its bank: (text, choices, index of the right one)."""
    if not operators.operator_in(actor, operators.SUPPORT):
        raise PermissionDenied(_("Only an operator may define skills tests."))
    errors: dict[str, list[str]] = {}
    if not 1 <= pass_mark_percent <= 100:
        errors["pass_mark_percent"] = [_("From 1 to 100.")]
    for n, (_text, choices, correct) in enumerate(questions):
        if len(choices) < 2 or not 0 <= correct < len(choices):
            errors[f"questions.{n}"] = [_("At least two choices, and the right one among them.")]
    if errors:
        raise InvalidInput(details=errors)
    with transaction.atomic():
        if SkillTest.objects.filter(category=category).exists():
            raise Conflict(_("This category has a test already."))
        test = SkillTest.objects.create(
            category=category,
            title=title,
            description=description,
            time_limit_minutes=time_limit_minutes,
            questions_per_attempt=questions_per_attempt,
            pass_mark_percent=pass_mark_percent,
            retake_cooldown_days=retake_cooldown_days,
        )
        SkillQuestion.objects.bulk_create(
            SkillQuestion(test=test, text=text, choices=choices, correct=correct)
            for text, choices, correct in questions
        )
    return test
