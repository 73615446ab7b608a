"""Demo credentials: skills tests an operator defined, passed by a few providers."""

import random

from barnraise.accounts import skills
from barnraise.accounts.models import SkillTest, User
from barnraise.catalog.models import Category

TESTS = {
    "bikes": (
        "Bike mechanics basics",
        [
            (
                "Which way do you turn a pedal on the left crank to loosen it?",
                ["Clockwise", "Anticlockwise"],
                0,
            ),
            (
                "What does a derailleur's limit screw set?",
                ["How far it can shift", "Chain tension", "Brake reach"],
                0,
            ),
            (
                "A chain that skips under load most often needs…",
                ["A new chain and cassette", "More air", "A new saddle"],
                0,
            ),
            (
                "Where is tyre pressure printed?",
                ["On the tyre's sidewall", "On the rim tape", "On the valve cap"],
                0,
            ),
            (
                "What is a quick-release skewer for?",
                ["Taking the wheel off", "Adjusting gears", "Locking the bike"],
                0,
            ),
            (
                "Disc brake pads contaminated with oil should be…",
                ["Replaced", "Wiped with water", "Used as they are"],
                0,
            ),
        ],
    ),
    "cleaning": (
        "Home cleaning know-how",
        [
            (
                "Which should never be mixed?",
                ["Bleach and ammonia", "Vinegar and water", "Soap and water"],
                0,
            ),
            ("Clean a room…", ["From top to bottom", "From bottom to top", "In any order"], 0),
            ("Natural stone counters need…", ["A pH-neutral cleaner", "Vinegar", "Bleach"], 0),
            ("A microfibre cloth works best…", ["Slightly damp", "Soaking wet", "With fabric softener"], 0),
            (
                "Mould on silicone sealant is best treated with…",
                ["A mould remover, then resealing", "Flour", "Hot air"],
                0,
            ),
            (
                "Before cleaning an oven, first…",
                ["Switch it off and let it cool", "Heat it up", "Wet the element"],
                0,
            ),
        ],
    ),
}


def seed_skill_tests(
    operator: User, categories: dict[str, Category], people: list[User], rng: random.Random
) -> int:
    """Two tests defined by the demo operator; a few members pass one. Skipped when any exist."""
    if SkillTest.objects.exists():
        return 0
    made = 0
    for slug, (title, questions) in TESTS.items():
        if slug not in categories:
            continue
        test = skills.skill_test_create(
            actor=operator,
            category=categories[slug],
            title=title,
            questions=[(text, choices, right) for text, choices, right in questions],
            questions_per_attempt=4,
            pass_mark_percent=75,
            retake_cooldown_days=14,
        )
        made += 1
        for member in rng.sample(people[1:], min(4, len(people) - 1)):
            attempt = skills.skill_attempt_start(actor=member, test_id=test.pk, rng=rng)
            drawn = skills.skill_attempt_questions(attempt)
            # Most know their trade; one in four slips on a question or two.
            answers = {str(q.pk): (q.correct if rng.random() > 0.25 else len(q.choices) - 1) for q in drawn}
            skills.skill_attempt_submit(actor=member, attempt_id=attempt.pk, answers=answers)
    return made
