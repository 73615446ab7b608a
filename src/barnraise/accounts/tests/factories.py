"""factory_boy factories of accounts, for every app's tests (the rows tests share)."""

from typing import Any

import factory
from allauth.account.models import EmailAddress

from barnraise.accounts.models import User


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A member whose email address is confirmed (`verified=False`: waiting for confirmation)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member-{n}@example.com")
    name = "Member"
    password = "correct horse battery"

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return model_class.objects.create_user(*args, **kwargs)  # hashes the password

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=True if extracted is None else extracted
            )
