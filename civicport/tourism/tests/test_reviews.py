"""Reviews: one per user per venue (editable), aggregates kept right, floods refused, personal
data stripped, flag → hidden until moderated, owners reply."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicport.tourism import actions
from civicport.tourism.models import Event, Review, ReviewStatus, Venue


@pytest.fixture
def venue(make_venue):
    return make_venue()


def rating(venue):
    venue = Venue.objects.get(pk=venue.pk)
    return venue.rating_count, venue.rating_mean


def test_one_review_per_user_edit_updates_aggregate(venue, make_user):
    anh, binh = make_user("anh"), make_user("binh")
    actions.review_submit(actor=anh, venue_id=venue.pk, rating=5, text="Ngon")
    actions.review_submit(actor=binh, venue_id=venue.pk, rating=2)
    assert rating(venue) == (2, 3.5)
    actions.review_submit(actor=anh, venue_id=venue.pk, rating=3, text="Bình thường")
    assert Review.objects.filter(venue=venue).count() == 2
    assert rating(venue) == (2, 2.5)


def test_bad_rating_and_anonymous(venue, make_user):
    from django.contrib.auth.models import AnonymousUser
    with pytest.raises(ValidationError):
        actions.review_submit(actor=make_user(), venue_id=venue.pk, rating=6)
    with pytest.raises(PermissionDenied):
        actions.review_submit(actor=AnonymousUser(), venue_id=venue.pk, rating=4)
    assert not Review.objects.exists()


def test_flood_is_refused(make_venue, make_user):
    user = make_user()
    venues = [make_venue(name=f"Quán {i}") for i in range(actions.REVIEW_LIMIT + 1)]
    for v in venues[:-1]:
        actions.review_submit(actor=user, venue_id=v.pk, rating=4)
    with pytest.raises(ValidationError) as err:
        actions.review_submit(actor=user, venue_id=venues[-1].pk, rating=4)
    assert err.value.code == "throttled"
    assert "quá nhiều" in err.value.messages[0]
    assert Review.objects.count() == actions.REVIEW_LIMIT


def test_phone_numbers_and_emails_are_stripped(venue, make_user):
    review = actions.review_submit(
        actor=make_user(), venue_id=venue.pk, rating=4,
        text="Gọi 0912 345 678 hoặc +84 912.345.678, mail ai@vi.du. Giá 35.000 đ, năm 2025")
    assert "0912" not in review.text and "ai@vi.du" not in review.text
    assert review.text.count("[đã ẩn]") == 3
    assert "35.000" in review.text and "2025" in review.text


def test_flag_hides_until_restored(venue, make_user, staff):
    review = actions.review_submit(actor=make_user("a"), venue_id=venue.pk, rating=1)
    actions.review_flag(actor=make_user("b"), review_id=review.pk, reason="spam")
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.FLAGGED
    assert rating(venue) == (0, 0)
    with pytest.raises(PermissionDenied):
        actions.review_moderate(actor=make_user("c"), review_id=review.pk, decision="restore")
    actions.review_moderate(actor=staff, review_id=review.pk, decision="restore")
    assert rating(venue) == (1, 1.0)
    actions.review_moderate(actor=staff, review_id=review.pk, decision="hide", reason="xúc phạm")
    assert rating(venue) == (0, 0)
    steps = list(Event.objects.filter(review=review).order_by("id")
                 .values_list("action", "from_state", "to_state"))
    assert steps[1:] == [("review_flag", "visible", "flagged"),
                         ("review_restore", "flagged", "visible"),
                         ("review_hide", "visible", "hidden")]


def test_owner_replies_others_cannot(venue, make_user):
    owner, stranger = make_user("owner"), make_user("x")
    Venue.objects.filter(pk=venue.pk).update(owner=owner)
    review = actions.review_submit(actor=make_user("a"), venue_id=venue.pk, rating=5)
    with pytest.raises(PermissionDenied):
        actions.review_reply(actor=stranger, review_id=review.pk, text="Cảm ơn")
    actions.review_reply(actor=owner, review_id=review.pk, text="Cảm ơn quý khách!")
    assert Review.objects.get(pk=review.pk).reply == "Cảm ơn quý khách!"


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_keep_the_aggregate_right(make_venue, make_user):
    """Reviews written at the same time by many users: the count and mean stay exact (the
    venue row lock serialises the recount). Real concurrency needs PostgreSQL."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers anyway")
    venue = make_venue()
    users = [make_user(f"u{i}") for i in range(8)]
    barrier = threading.Barrier(len(users))
    errors = []

    def write(user, stars):
        try:
            barrier.wait()
            actions.review_submit(actor=user, venue_id=venue.pk, rating=stars)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(u, 1 + i % 5)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    stars = [1 + i % 5 for i in range(len(users))]
    assert rating(venue) == (len(users), round(sum(stars) / len(users), 2))
