"""New passwords: not blank after stripping, not a common one, on the API and every page."""

import re

import pytest
from django.core import mail
from django.test import Client

from barnraise.accounts.models import User

BLANKS = ["        ", " \t      \t "]
REFUSED = [*BLANKS, "password123", "iloveyou123"]


@pytest.mark.parametrize("password", REFUSED)
def test_signup_by_api_refuses_a_blank_or_common_password(api, db, password):
    # when
    response = api.call(
        "POST", "auth/signup", json={"email": "ada@example.com", "password": password, "name": "Ada"}
    )
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize("password", REFUSED)
def test_the_signup_page_refuses_a_blank_or_common_password(db, password):
    # when
    form = {"name": "Ada", "email": "ada@example.com", "password1": password, "password2": password}
    response = Client().post("/accounts/signup/", form)
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.exists()


@pytest.mark.parametrize("password", REFUSED)
def test_the_change_page_refuses_a_blank_or_common_password(make_user, password):
    # given
    user = make_user(email="ada@example.com")
    before = user.password
    browser = Client()
    browser.force_login(user)
    # when
    response = browser.post(
        "/accounts/password/change/",
        {"oldpassword": "correct horse battery", "password1": password, "password2": password},
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert User.objects.get(pk=user.pk).password == before


@pytest.mark.parametrize("password", REFUSED)
def test_the_reset_page_refuses_a_blank_or_common_password(
    make_user, password, django_capture_on_commit_callbacks
):
    # given a member who followed the reset link
    user = make_user(email="ada@example.com")
    before = user.password
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/accounts/password/reset/", {"email": "ada@example.com"})
    link = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[-1].body)
    assert link
    form = browser.get(link.group(0), follow=True)
    # when
    response = browser.post(form.redirect_chain[-1][0], {"password1": password, "password2": password})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert User.objects.get(pk=user.pk).password == before


def test_spaces_around_a_real_password_are_kept_not_refused(api, db):
    # when
    response = api.call(
        "POST",
        "auth/signup",
        json={"email": "ada@example.com", "password": "  a long secret 42  ", "name": "A"},
    )
    # then
    assert response.status_code == 202
    assert User.objects.get().check_password("  a long secret 42  ")
