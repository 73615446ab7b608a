"""Operators: staff in support/finance/admin groups see only what their work needs."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from barnraise.accounts.models import User
from barnraise.accounts.services import operator_create
from barnraise.errors import InvalidInput


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_createoperator_command_puts_staff_in_groups(capsys):
    # when
    call_command("createoperator", email="Ops@Example.com", password="a-long-password-1", group=["support"])
    # then
    user = User.objects.get(email="ops@example.com")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["support"]
    assert "support" in capsys.readouterr().out


@pytest.mark.django_db
def test_operator_groups_exist_after_migrate_with_their_permissions():
    # then (migrations ran for the test database)
    support = Group.objects.get(name="support")
    codenames = set(support.permissions.values_list("codename", flat=True))
    assert {"view_user", "change_user", "view_listing"} <= codenames
    assert "delete_user" not in codenames
    admin_perms = Group.objects.get(name="admin").permissions.count()
    assert admin_perms > len(codenames)


@pytest.mark.django_db
def test_support_sees_members_but_not_emails_outbox_and_finance_cannot_edit_members():
    # given
    support = operator_create(email="s@example.com", name="S", password="pw-123456789", groups=["support"])
    finance = operator_create(email="f@example.com", name="F", password="pw-123456789", groups=["finance"])
    member = User.objects.create_user(email="m@example.com", password="pw-123456789", name="M")
    # when / then
    s, f = admin_client(support), admin_client(finance)
    assert s.get("/admin/accounts/user/").status_code == 200
    assert s.get("/admin/notifications/outgoingemail/").status_code == 403
    assert f.get("/admin/accounts/user/").status_code == 200
    response = f.post(f"/admin/accounts/user/{member.pk}/change/", {"name": "Changed"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.name == "M"


@pytest.mark.django_db
def test_admin_group_sees_everything_and_unknown_group_is_refused():
    # given
    boss = operator_create(email="a@example.com", name="A", password="pw-123456789", groups=["admin"])
    # then
    assert admin_client(boss).get("/admin/notifications/outgoingemail/").status_code == 200
    with pytest.raises(InvalidInput):
        operator_create(email="x@example.com", name="X", password="pw-123456789", groups=["janitor"])
    assert not User.objects.filter(email="x@example.com").exists()


@pytest.mark.django_db
def test_members_cannot_open_the_admin():
    # given
    member = User.objects.create_user(email="m@example.com", password="pw-123456789", name="M")
    # when
    response = admin_client(member).get("/admin/")
    # then
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_support_cannot_grant_itself_access_nor_set_anyone_s_password():
    # given a support operator and an admin operator
    support = operator_create(
        email="support@example.com", name="S", password="pw-123456789xx", groups=["support"]
    )
    chief = operator_create(email="chief@example.com", name="C", password="pw-123456789xx", groups=["admin"])
    client = admin_client(support)
    # when support posts its own change form asking for superuser, and sets the admin's password
    form = {"email": support.email, "name": "S", "is_active": "on", "is_staff": "on", "is_superuser": "on"}
    client.post(f"/admin/accounts/user/{support.pk}/change/", form)
    taken = client.post(
        f"/admin/accounts/user/{chief.pk}/password/",
        {"password1": "Takeover-123456", "password2": "Takeover-123456", "usable_password": "true"},
    )
    # then neither happened: access and passwords are the admin group's
    support.refresh_from_db()
    chief.refresh_from_db()
    assert not support.is_superuser and list(support.groups.values_list("name", flat=True)) == ["support"]
    assert taken.status_code == 403 and not chief.check_password("Takeover-123456")
    # while support still edits a member's profile
    assert (
        client.post(
            f"/admin/accounts/user/{chief.pk}/change/", {**form, "email": chief.email, "name": "Renamed"}
        ).status_code
        == 302
    )
    chief.refresh_from_db()
    assert chief.name == "Renamed" and not chief.is_superuser and chief.groups.filter(name="admin").exists()


@pytest.mark.django_db
def test_the_admin_group_grants_access_and_sets_passwords():
    # given
    chief = operator_create(email="chief@example.com", name="C", password="pw-123456789xx", groups=["admin"])
    member = User.objects.create_user(email="m@example.com", password="pw-123456789xx", name="M")
    client = admin_client(chief)
    # when
    reset = client.post(
        f"/admin/accounts/user/{member.pk}/password/",
        {"password1": "Fresh-pass-123456", "password2": "Fresh-pass-123456", "usable_password": "true"},
    )
    # then
    member.refresh_from_db()
    assert reset.status_code == 302 and member.check_password("Fresh-pass-123456")


@pytest.mark.django_db
def test_who_is_an_operator_is_the_group_alone():
    # given a member of each group, a superuser, a staff member given a permission directly,
    # and a finance operator whose account was switched off
    from django.contrib.auth.models import Permission

    from barnraise.accounts.operators import operator_in

    made = {
        g: operator_create(email=f"{g}@example.com", name=g, password="pw-123456789", groups=[g])
        for g in ("support", "finance", "admin")
    }
    root = User.objects.create_superuser(email="root@example.com", password="pw-123456789", name="R")
    loose = User.objects.create_user(email="l@example.com", password="pw-123456789", name="L", is_staff=True)
    loose.user_permissions.add(Permission.objects.get(codename="add_payouthold"))
    gone = operator_create(email="g@example.com", name="G", password="pw-123456789", groups=["finance"])
    gone.is_active = False
    gone.save()
    # then
    assert [operator_in(made[g], "finance") for g in ("support", "finance", "admin")] == [False, True, True]
    assert [operator_in(made[g], "support") for g in ("support", "finance", "admin")] == [True, False, True]
    assert operator_in(made["finance"], "support", "finance") and operator_in(root, "finance")
    assert (
        not operator_in(loose, "finance")
        and not operator_in(gone, "finance")
        and not operator_in(None, "admin")
    )
    with pytest.raises(ValueError):
        operator_in(made["admin"], "janitor")


def test_no_other_module_decides_who_is_an_operator():
    # given every module of the code but the one that decides (Django's own admin asks
    # permissions of its own, in admin.py; migrations and tests are not the code)
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    asks = re.compile(r"\.has_perm\(|\.is_staff\b(?!\s*=[^=])|\.is_superuser\b(?!\s*=[^=])|groups\.filter\(")
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.parts) and path.name != "admin.py"
        if path != root / "accounts" / "operators.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if asks.search(line)
    ]
    # then
    assert found == []
