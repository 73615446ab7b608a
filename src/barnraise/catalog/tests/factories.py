"""factory_boy factories of catalog, for every app's tests. Rows are made through catalog's
services, so they hold what the services hold (a category's path, a listing's screened text)."""

from typing import Any

import factory

from barnraise.accounts.tests.factories import UserFactory
from barnraise.catalog.models import Category, Listing
from barnraise.catalog.services import category_create, listing_create


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda category: category.slug.replace("-", " ").capitalize())

    @classmethod
    def _create(cls, model_class: type[Category], *args: Any, **kwargs: Any) -> Category:
        return category_create(**kwargs)


class ListingFactory(factory.django.DjangoModelFactory[Listing]):
    """A published rental by the hour in Brussels, by a member of its own unless `author` is given."""

    class Meta:
        model = Listing

    author = factory.SubFactory(UserFactory)
    kind = "rental"
    category = factory.SubFactory(CategoryFactory, kinds=["rental"])
    title = factory.LazyAttribute(lambda listing: f"A {listing.kind}")
    unit = "hour"
    price_amount_minor = 1500
    currency = "EUR"
    lat = 50.85
    lng = 4.35
    timezone = "Europe/Brussels"
    address = "Secret St 1"

    @classmethod
    def _create(cls, model_class: type[Listing], *args: Any, author: Any, **kwargs: Any) -> Listing:
        return listing_create(actor=author, **kwargs)
