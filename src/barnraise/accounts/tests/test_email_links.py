"""Every link in every account email starts with SITE_URL, whatever Host the request named."""

import re

from django.test import Client

from barnraise.accounts.models import User
from barnraise.accounts.services import token_create
from barnraise.notifications.models import OutgoingEmail

FOREIGN = "evil.example"
OLD = "correct horse battery"
NEW = "a brand new long secret 71"


def test_links_in_account_emails_come_from_site_url_not_the_host_header(
    make_user, settings, django_capture_on_commit_callbacks
):
    # given a request Host the site accepts but is not SITE_URL's
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, FOREIGN]
    assert FOREIGN not in settings.SITE_URL
    member = make_user(email="ada@example.com")
    browser = Client(HTTP_HOST=FOREIGN)
    api = Client(HTTP_HOST=FOREIGN)

    def api_post(path: str, body: dict, **headers: str):
        return api.post(f"/api/v1/{path}", body, content_type="application/json", headers=headers)

    # when every flow that mails a member runs through that Host
    with django_capture_on_commit_callbacks(execute=True):
        new = {"email": "new@example.com", "password": "a long enough secret 42", "name": "New"}
        assert api_post("auth/signup", new).status_code == 202  # confirmation link
        assert api_post("auth/signup", {**new, "email": "ada@example.com"}).status_code == 202  # taken
        assert api_post("auth/token", {"email": new["email"], "password": new["password"]}).status_code == 403
        page = {"name": "P", "email": "page@example.com", "password1": NEW, "password2": NEW}
        assert browser.post("/accounts/signup/", page).status_code == 302
        assert browser.post("/accounts/signup/", {**page, "email": "ada@example.com"}).status_code == 302
        browser.post("/accounts/password/reset/", {"email": "ada@example.com"})  # the reset link
        browser.post("/accounts/password/reset/", {"email": "nobody@example.com"})  # unknown account
        _, raw = token_create(user=member, name="t")
        changed = api_post(
            "me/password", {"current_password": OLD, "new_password": NEW}, Authorization=f"Bearer {raw}"
        )
        assert changed.status_code == 204
        signed_in = Client(HTTP_HOST=FOREIGN)
        signed_in.force_login(User.objects.get(pk=member.pk))
        signed_in.post("/accounts/password/change/", {"oldpassword": NEW, "password1": OLD, "password2": OLD})
    # then every link in every email starts with SITE_URL
    emails = list(OutgoingEmail.objects.all())
    subjects = " | ".join(email.subject for email in emails)
    for expected in ("Confirm your email", "tried to sign up", "new password", "password was changed"):
        assert expected in subjects, subjects
    assert len(emails) >= 8, subjects
    for email in emails:
        body = f"{email.text_body}\n{email.html_body}"
        assert FOREIGN not in body, (email.subject, body)
        links = re.findall(r"https?://[^\s\"'<>]+", body)
        assert links, (email.subject, body)
        for link in links:
            assert link.startswith(f"{settings.SITE_URL}/"), (email.subject, link)


def test_the_password_reset_mails_ignore_the_host_header(
    make_user, settings, django_capture_on_commit_callbacks
):
    # given
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, FOREIGN]
    make_user(email="ada@example.com")
    browser = Client(HTTP_HOST=FOREIGN)
    # when a reset is asked for a member and for an unknown address
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/accounts/password/reset/", {"email": "ada@example.com"})
        browser.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    # then both mails link to SITE_URL only
    mails = {email.to: email.text_body for email in OutgoingEmail.objects.all()}
    assert set(mails) == {"ada@example.com", "nobody@example.com"}
    assert f"{settings.SITE_URL}/accounts/password/reset/key/" in mails["ada@example.com"]
    assert f"{settings.SITE_URL}/accounts/signup/" in mails["nobody@example.com"]
    assert all(FOREIGN not in body for body in mails.values())
