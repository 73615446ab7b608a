"""The review prompt on the deal page, and the public profile page."""

import pytest
from django.test import Client

from barnraise.reputation.models import Review
from barnraise.web.tests.page_testing import assert_csp_clean

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_deal_page_asks_for_a_review_and_keeps_it_hidden_until_both_are_in(make_user, completed_deal):
    # given a completed deal
    cam, pat = make_user(name="Cam"), make_user(name="Pat")
    tx = completed_deal(cam, pat)
    page = logged_in(cam).get(f"/transactions/{tx.pk}/")
    assert page.status_code == 200 and "Publish my review" in page.content.decode()
    assert_csp_clean(page)
    # when the customer posts a review from it
    posted = logged_in(cam).post(
        f"/transactions/{tx.pk}/review/",
        {"rating": "4", "text": "Nice bike", "private_score": "8"},
        follow=True,
    )
    # then it is stored hidden, the form is gone, and the provider is told one waits
    html = posted.content.decode()
    assert "Thank you" in html and "Publish my review" not in html
    assert Review.objects.get(author=cam).published_at is None
    assert (
        "you will see it once your review is in"
        in logged_in(pat).get(f"/transactions/{tx.pk}/").content.decode()
    )
    # when the provider reviews too, then each sees the other's review
    logged_in(pat).post(f"/transactions/{tx.pk}/review/", {"rating": "5", "text": "Quick payer"})
    assert "Quick payer" in logged_in(cam).get(f"/transactions/{tx.pk}/").content.decode()
    assert "Nice bike" in logged_in(pat).get(f"/transactions/{tx.pk}/").content.decode()


def test_a_review_without_stars_is_refused_on_the_page(make_user, completed_deal):
    cam, pat = make_user(name="Cam"), make_user(name="Pat")
    tx = completed_deal(cam, pat)
    posted = logged_in(cam).post(f"/transactions/{tx.pk}/review/", {"text": "No stars"}, follow=True)
    assert "Choose the stars" in posted.content.decode()
    assert Review.objects.count() == 0


def test_an_outsider_cannot_post_a_review(make_user, completed_deal):
    cam, pat = make_user(name="Cam"), make_user(name="Pat")
    tx = completed_deal(cam, pat)
    assert logged_in(make_user()).post(f"/transactions/{tx.pk}/review/", {"rating": "1"}).status_code == 404
    assert Review.objects.count() == 0


def test_the_profile_page_shows_reputation_and_lets_the_member_reply(make_user, completed_deal):
    # given a provider with a published review
    cam, pat = make_user(name="Cam"), make_user(name="Pat")
    tx = completed_deal(cam, pat)
    logged_in(cam).post(f"/transactions/{tx.pk}/review/", {"rating": "3", "text": "Bell was broken"})
    logged_in(pat).post(f"/transactions/{tx.pk}/review/", {"rating": "5"})
    # when a visitor opens the profile
    page = Client().get(f"/members/{pat.pk}/")
    html = page.content.decode()
    # then it shows the review, the score, the work history and no reply form
    assert page.status_code == 200
    assert_csp_clean(page)
    assert "Bell was broken" in html and "Member since" in html and "Bikes" in html
    assert "Reply in public" not in html
    # when the member replies from their own profile
    review = Review.objects.get(author=cam)
    mine = logged_in(pat)
    assert "Reply in public" in mine.get(f"/members/{pat.pk}/").content.decode()
    replied = mine.post(f"/reviews/{review.pk}/reply/", {"text": "Fixed it since."}, follow=True)
    # then the reply shows under the review
    assert "Fixed it since." in replied.content.decode()
    assert Client().get("/members/0190a000-0000-7000-8000-000000000000/").status_code == 404


def test_the_listing_page_links_to_the_profile_and_shows_its_rating(make_user, completed_deal, make_listing):
    # given a reviewed listing
    cam, pat = make_user(name="Cam"), make_user(name="Pat")
    listing = make_listing(pat, title="Green bike")
    tx = completed_deal(cam, pat, listing)
    logged_in(cam).post(f"/transactions/{tx.pk}/review/", {"rating": "5"})
    logged_in(pat).post(f"/transactions/{tx.pk}/review/", {"rating": "5"})
    # when a visitor opens it
    html = Client().get(f"/listings/{listing.public_id}/").content.decode()
    # then it links to the provider's profile and shows the listing's score
    assert f"/members/{pat.pk}/" in html and "Rated " in html


def test_stars_shown_are_the_plain_average_with_their_count_on_profile_and_listing(
    make_user, completed_deal, make_listing
):
    # given a provider whose bike was reviewed 5 and 4 stars by two customers
    pat = make_user(name="Pat")
    bike = make_listing(pat, title="Blue bike")
    for name, rating in (("Cam", 5), ("Dee", 4)):
        customer = make_user(name=name)
        tx = completed_deal(customer, pat, listing=bike)
        logged_in(customer).post(
            f"/transactions/{tx.pk}/review/", {"rating": str(rating), "text": f"From {name}"}
        )
        logged_in(pat).post(f"/transactions/{tx.pk}/review/", {"rating": "5"})
    # when a visitor opens the listing
    listing_page = Client().get(f"/listings/{bike.public_id}/")
    html = listing_page.content.decode()
    # then the stars are the plain mean of the two reviews with their count, and the reviews are there
    assert listing_page.status_code == 200
    assert_csp_clean(listing_page)
    assert "★ 4.5 · 2 reviews" in html
    assert "From Cam" in html and "From Dee" in html
    # and the profile says the same, shows the member's photo or initial, and their storefront
    profile = Client().get(f"/members/{pat.pk}/").content.decode()
    assert "★ 4.5 · 2 reviews" in profile
    assert 'class="avatar avatar-initials avatar-big"' in profile
    assert "Listings by Pat" in profile and "Blue bike" in profile


def test_a_member_finds_their_public_profile_and_no_stars_show_before_a_review(make_user, make_listing):
    pat = make_user(name="Pat")
    bike = make_listing(pat, title="Red bike")
    mine = logged_in(pat)
    assert f'href="/members/{pat.pk}/">View my public profile' in mine.get("/account/").content.decode()
    html = Client().get(f"/listings/{bike.public_id}/").content.decode()
    assert "No reviews yet" in html and "★" not in html.split("listing-reviews")[0].split("price-card")[-1]
