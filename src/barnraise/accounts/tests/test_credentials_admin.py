"""Operator screens: document review by admin actions; state fields are read-only."""

from io import BytesIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from PIL import Image

from barnraise.accounts import verification
from barnraise.accounts.models import Document, SkillAttempt, SkillTest
from barnraise.catalog.services import category_create
from barnraise.reputation.models import Review

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/document/"


@pytest.fixture
def operator(make_user):
    user = make_user(name="Olive", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def a_document(member):
    image = BytesIO()
    Image.new("RGB", (50, 50), (9, 9, 9)).save(image, "PNG")
    return verification.document_upload(
        actor=member, kind="identity", upload=SimpleUploadedFile("id.png", image.getvalue())
    )


def test_an_operator_approves_from_the_list(operator, make_user):
    document = a_document(make_user())
    assert operator.get(CHANGELIST).status_code == 200
    operator.post(CHANGELIST, {"action": "approve", "_selected_action": [str(document.pk)]})
    document.refresh_from_db()
    assert (document.status, document.reviewed_by_id) == ("approved", operator.user.pk)


def test_rejecting_asks_for_a_reason_first(operator, make_user):
    # given a pending document
    document = a_document(make_user())
    selected = {"action": "reject", "_selected_action": [str(document.pk)]}
    # when the operator chooses "reject", then confirms without and with a reason
    asked = operator.post(CHANGELIST, selected)
    empty = operator.post(CHANGELIST, {**selected, "confirm": "1", "reason": ""})
    operator.post(CHANGELIST, {**selected, "confirm": "1", "reason": "Expired document."})
    # then it is rejected only once a reason is given
    assert "Reason" in asked.content.decode() and "Give a reason" in empty.content.decode()
    document.refresh_from_db()
    assert (document.status, document.reason) == ("rejected", "Expired document.")


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Document, {"status", "reason", "reviewed_by", "reviewed_at", "file"}),
        (SkillAttempt, {"score_percent", "passed", "answers", "question_ids", "deadline"}),
        (Review, {"rating", "text", "published_at", "reply", "private_score"}),
    ],
)
def test_state_fields_are_read_only_in_the_admin(make_user, model, fields):
    request = RequestFactory().get("/admin/")
    request.user = make_user(is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[model]
    readonly = set(model_admin.get_readonly_fields(request))
    editable = set(model_admin.get_fields(request)) - readonly
    assert not (fields & editable), fields & editable


def test_the_skill_test_admin_warns_about_a_broken_bank(operator):
    category = category_create(slug="garden", name="Garden", kinds=["service"])
    form = {
        "category": str(category.pk),
        "title": "Gardening",
        "description": "",
        "time_limit_minutes": "10",
        "questions_per_attempt": "3",
        "pass_mark_percent": "70",
        "retake_cooldown_days": "30",
        "active": "on",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-text": "Best time to prune roses?",
        "questions-0-choices": '["Spring", "Summer"]',
        "questions-0-correct": "5",
        "questions-0-active": "on",
    }
    saved = operator.post("/admin/accounts/skilltest/add/", form, follow=True)
    html = saved.content.decode()
    assert SkillTest.objects.filter(title="Gardening").exists(), html[:2000]
    assert "the right answer is not one of the choices" in html
    assert "fewer questions than an attempt draws" in html
