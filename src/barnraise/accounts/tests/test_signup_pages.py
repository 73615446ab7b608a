"""The sign-up page: the same "check your email" step for a new and a taken address."""

import re

from django.core import mail
from django.test import Client

from barnraise.accounts.models import User

PASSWORD = "a long enough secret 42"


def sign_up(email: str, password: str = PASSWORD):
    form = {"name": "Ada", "email": email, "password1": password, "password2": password}
    return Client().post("/accounts/signup/", form, follow=True)


def test_a_new_and_a_taken_address_get_the_same_check_your_email_step(
    make_user, django_capture_on_commit_callbacks
):
    # given
    make_user(email="taken@example.com")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        new = sign_up("new@example.com")
        taken = sign_up("Taken@Example.com")
    # then both land on the same step, signed out, with nothing said about the address
    assert new.redirect_chain == taken.redirect_chain == [("/accounts/confirm-email/", 302)]
    for response in (new, taken):
        html = response.content.decode()
        assert response.status_code == 200
        assert "verification" in html.lower()
        assert "already" not in html.lower()
        assert not response.wsgi_request.user.is_authenticated
    # and one account was created, the other owner told by email
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert User.objects.filter(email="new@example.com").exists()
    to = {message.to[0]: message for message in mail.outbox}
    assert "/accounts/confirm-email/" in to["new@example.com"].body
    assert "tried to sign up" in to["taken@example.com"].subject
    assert "/accounts/password/reset/" in to["taken@example.com"].body


def test_a_new_member_cannot_sign_in_on_the_page_before_confirming(db, django_capture_on_commit_callbacks):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        sign_up("new@example.com")
    mail.outbox.clear()
    # when
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/accounts/login/", {"login": "new@example.com", "password": PASSWORD})
    # then they are asked to confirm, and not signed in
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert browser.get("/account/").status_code == 302


def test_the_emailed_link_confirms_the_address_and_signs_the_newcomer_in(
    db, django_capture_on_commit_callbacks
):
    # given a newcomer who signed up in this browser
    browser = Client()
    form = {"name": "Ada", "email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/accounts/signup/", form)
    assert browser.get("/account/").status_code == 302  # not yet in
    link = re.search(r"/accounts/confirm-email/\S+/", mail.outbox[-1].body)
    assert link
    # when they follow the link and press the button
    response = browser.post(link.group(0))
    # then they are in
    assert response.status_code == 302
    assert browser.get("/account/").status_code == 200
