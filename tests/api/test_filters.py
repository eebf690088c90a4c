"""Filters of the article, author and publisher lists: values, visibility, and 400s for bad values."""

from __future__ import annotations

import datetime as dt

import pytest

from articles.models import Article, AuthorAlias, PublisherAlias
from tests.api.helpers import ARTICLES_URL, AUTHORS_URL, PUBLISHERS_URL, ids, make_article
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def found(client, url: str = ARTICLES_URL, **params) -> set[int]:
    response = client.get(url, {**params, "page_size": 100})
    assert response.status_code == 200, response.content
    return set(ids(response))


# --- Publisher and author ------------------------------------------------------


@pytest.fixture
def bylines():
    """Three authors and two publishers; one article by two of the authors."""
    ann, bob, cy = (AuthorFactory(name=name) for name in ["Ann Ames", "Bob Burr", "Cy Cole"])
    first, second = PublisherFactory(), PublisherFactory()
    return {
        "ann": ann,
        "bob": bob,
        "cy": cy,
        "first": first,
        "second": second,
        "by_ann": ArticleFactory(authors=[ann], publisher=first),
        "by_both": ArticleFactory(authors=[ann, bob], publisher=second),
        "by_cy": ArticleFactory(authors=[cy], publisher=second),
        "nobody": ArticleFactory(publisher=None),
    }


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        (["ann"], {"by_ann", "by_both"}),
        (["bob"], {"by_both"}),
        (["ann", "bob"], {"by_ann", "by_both"}),
        (["bob", "cy"], {"by_both", "by_cy"}),
    ],
)
def test_author_filter_is_any_of_the_slugs(api_client, bylines, authors, expected):
    response = api_client.get(ARTICLES_URL, {"author": [bylines[a].slug for a in authors]})

    # An article by two of the authors comes once: no duplicates, and the count agrees.
    assert sorted(ids(response)) == sorted(bylines[e].pk for e in expected)
    assert response.json()["count"] == len(expected)


def test_author_filter_takes_comma_separated_slugs(api_client, bylines):
    assert found(api_client, author=f"{bylines['bob'].slug},{bylines['cy'].slug}") == {
        bylines["by_both"].pk,
        bylines["by_cy"].pk,
    }


@pytest.mark.parametrize(
    ("publishers", "expected"),
    [
        (["first"], {"by_ann"}),
        (["second"], {"by_both", "by_cy"}),
        (["first", "second"], {"by_ann", "by_both", "by_cy"}),
    ],
)
def test_publisher_filter_is_any_of_the_slugs(api_client, bylines, publishers, expected):
    result = found(api_client, publisher=[bylines[p].slug for p in publishers])

    assert result == {bylines[e].pk for e in expected}


def test_merged_slugs_stand_for_the_survivor(api_client, bylines):
    """GIVEN slugs left behind as aliases when duplicates were merged
    WHEN a client filters by an old slug (alone, or beside a current one)
    THEN it gets the survivor's articles.
    """
    AuthorAlias.objects.create(author=bylines["cy"], name="C. Cole", slug="c-cole")
    PublisherAlias.objects.create(publisher=bylines["first"], name="First Old", slug="first-old")

    assert found(api_client, author="c-cole") == {bylines["by_cy"].pk}
    assert found(api_client, author=["c-cole", bylines["bob"].slug]) == {bylines["by_cy"].pk, bylines["by_both"].pk}
    assert found(api_client, publisher="first-old") == {bylines["by_ann"].pk}


def test_author_and_publisher_filters_combine(api_client, bylines):
    assert found(api_client, author=bylines["ann"].slug, publisher=bylines["second"].slug) == {bylines["by_both"].pk}


@pytest.mark.parametrize("param", ["author", "publisher"])
@pytest.mark.parametrize("value", ["not a slug", "x" * 300, "a,b c"])
def test_malformed_slug_is_a_400_naming_the_parameter(api_client, bylines, param, value):
    known = bylines["ann"].slug if param == "author" else bylines["first"].slug

    response = api_client.get(ARTICLES_URL, {param: [known, value]})

    assert response.status_code == 400
    assert list(response.json()) == [param]
    assert value.split(",")[-1][:20] in response.json()[param][0]


@pytest.mark.parametrize("param", ["author", "publisher"])
@pytest.mark.parametrize(("times", "status"), [(100, 200), (101, 400)])
def test_a_slug_filter_is_repeated_at_most_100_times(api_client, bylines, param, times, status):
    """As the schema's maxItems says; each value may still hold several slugs."""
    response = api_client.get(ARTICLES_URL, {param: [f"a{i},b{i}" for i in range(times)]})

    assert response.status_code == status
    if status == 400:
        assert "at most 100 times" in response.json()[param][0]


@pytest.mark.parametrize("q", [None, "story"])
@pytest.mark.parametrize("param", ["author", "publisher"])
def test_a_slug_nobody_has_matches_nothing(api_client, bylines, param, q):
    """GIVEN a well-formed slug that names nobody (such as 0, which the schema allows)
    WHEN the articles are filtered by it, alone or beside a known slug, with or without a search
    THEN it matches no article: an empty list alone, the known slug's articles beside one.
    """
    known = bylines["cy"] if param == "author" else bylines["first"]
    search = {"q": q} if q else {}

    alone = api_client.get(ARTICLES_URL, {param: "0", **search})
    beside = api_client.get(ARTICLES_URL, {param: ["no-such-slug", known.slug], **search})

    assert (alone.status_code, ids(alone), alone.json()["count"]) == (200, [], 0)
    assert set(ids(beside)) == {bylines["by_cy" if param == "author" else "by_ann"].pk}
    assert api_client.get(f"{ARTICLES_URL}facets/", {param: "0", **search}).json()["count"] == 0


# --- Status and review flag ------------------------------------------------------


@pytest.mark.parametrize("client_fixture", ["api_client", "user_client"])
def test_needs_review_is_ignored_for_non_staff(request, client_fixture):
    """GIVEN published articles with and without the review flag
    WHEN a non-staff requester filters on needs_review
    THEN the filter is ignored (the flag is staff-only data), and drafts stay hidden.
    """
    flagged, clean = ArticleFactory(needs_review=True), ArticleFactory(needs_review=False)
    make_article(Article.Status.DRAFT, needs_review=True)
    client = request.getfixturevalue(client_fixture)

    assert found(client, needs_review="true") == {flagged.pk, clean.pk}
    assert found(client, needs_review="false", q="story") == {flagged.pk, clean.pk}


@pytest.mark.parametrize("client_fixture", ["api_client", "user_client", "staff_client"])
def test_a_bad_needs_review_is_a_400_for_everybody(request, client_fixture):
    # As a bad status is: the value is checked whether or not the requester may filter on it.
    response = request.getfixturevalue(client_fixture).get(ARTICLES_URL, {"needs_review": "banana"})

    assert response.status_code == 400
    assert response.json() == {"needs_review": ["Enter true or false."]}


@pytest.mark.parametrize(("value", "expected"), [("true", "flagged"), ("1", "flagged"), ("false", "clean")])
def test_staff_filter_needs_review(staff_client, value, expected):
    articles = {"flagged": make_article(Article.Status.DRAFT, needs_review=True), "clean": ArticleFactory()}

    assert found(staff_client, needs_review=value) == {articles[expected].pk}


def test_staff_combine_status_and_needs_review(staff_client):
    flagged_draft = make_article(Article.Status.DRAFT, needs_review=True)
    make_article(Article.Status.DRAFT)
    ArticleFactory(needs_review=True)

    assert found(staff_client, status="draft", needs_review="true") == {flagged_draft.pk}


def test_staff_bad_needs_review_is_a_400(staff_client):
    response = staff_client.get(ARTICLES_URL, {"needs_review": "maybe"})

    assert response.status_code == 400
    assert response.json() == {"needs_review": ["Enter true or false."]}


# --- Dates -----------------------------------------------------------------------


@pytest.fixture
def dated():
    """Articles published across the first days of May 2024."""
    return {
        "may1_morning": ArticleFactory(published_at=at("2024-05-01T08:00:00")),
        "may1_late": ArticleFactory(published_at=at("2024-05-01T23:59:59.500000")),
        "may2_noon": ArticleFactory(published_at=at("2024-05-02T12:00:00")),
        "may3": ArticleFactory(published_at=at("2024-05-03T00:00:00")),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # A bare date: from its start (after), to its very end (before), in UTC.
        ({"published_after": "2024-05-02"}, {"may2_noon", "may3"}),
        ({"published_before": "2024-05-01"}, {"may1_morning", "may1_late"}),
        ({"published_after": "2024-05-01", "published_before": "2024-05-01"}, {"may1_morning", "may1_late"}),
        ({"published_after": "20240503"}, {"may3"}),
        # Date-times are inclusive bounds; no offset means UTC.
        ({"published_after": "2024-05-02T12:00:00"}, {"may2_noon", "may3"}),
        ({"published_before": "2024-05-02T12:00:00Z"}, {"may1_morning", "may1_late", "may2_noon"}),
        ({"published_before": "2024-05-02T11:59:59+00:00"}, {"may1_morning", "may1_late"}),
        # 14:00 at +02:00 is noon UTC.
        ({"published_after": "2024-05-02T14:00:00+02:00"}, {"may2_noon", "may3"}),
        ({"published_after": "2024-05-02T14:00:01+02:00"}, {"may3"}),
    ],
)
def test_published_date_bounds(api_client, dated, params, expected):
    assert found(api_client, **params) == {dated[e].pk for e in expected}


def test_created_date_bounds(api_client):
    """GIVEN articles added to the archive on different days
    WHEN the list is filtered by created_after / created_before
    THEN only those added within the bounds come back.
    """
    old, new = ArticleFactory(), ArticleFactory()
    Article.objects.filter(pk=old.pk).update(created_at=at("2023-01-10T10:00:00"))
    Article.objects.filter(pk=new.pk).update(created_at=at("2023-02-10T10:00:00"))

    assert found(api_client, created_after="2023-02-01") == {new.pk}
    assert found(api_client, created_before="2023-01-10") == {old.pk}
    assert found(api_client, created_after="2023-01-10T10:00:01Z") == {new.pk}
    assert found(api_client, created_after="2023-01-01", created_before="2023-03-01") == {old.pk, new.pk}


@pytest.mark.parametrize("param", ["published_after", "published_before", "created_after", "created_before"])
@pytest.mark.parametrize(
    "value",
    ["yesterday", "2024-13-01", "2024-02-30", "2024-05-01T25:00", "01/05/2024", "0000-01-01", "0001-01-01T00:00+05:00"],
)
def test_bad_dates_are_a_400_naming_the_parameter(api_client, param, value):
    ArticleFactory()

    response = api_client.get(ARTICLES_URL, {param: value})

    assert response.status_code == 400
    assert list(response.json()) == [param]
    assert "date" in response.json()[param][0]


def test_extreme_but_valid_dates(api_client, dated):
    assert found(api_client, published_before="9999-12-31") == {a.pk for a in dated.values()}
    assert found(api_client, published_after="0001-01-01") == {a.pk for a in dated.values()}
    assert found(api_client, published_after="9999-12-31T23:59:59.999999Z") == set()


# --- Numbers and booleans --------------------------------------------------------


@pytest.fixture
def numbered():
    return {
        "short_2020": ArticleFactory(body="one two three", copyright_year=2020),
        "long_2022": ArticleFactory(body=" ".join(["word"] * 50), copyright_year=2022, image_credit="Photo: A"),
        "mid_2024": ArticleFactory(body=" ".join(["word"] * 10), copyright_year=2024, image_credit="Photo: B"),
        "no_year": ArticleFactory(body="a b c d e", copyright_year=None),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"copyright_year": "2022"}, {"long_2022"}),
        ({"copyright_year_min": "2022"}, {"long_2022", "mid_2024"}),
        ({"copyright_year_max": "2022"}, {"short_2020", "long_2022"}),
        ({"copyright_year_min": "2021", "copyright_year_max": "2023"}, {"long_2022"}),
        ({"min_words": "10"}, {"long_2022", "mid_2024"}),
        ({"max_words": "5"}, {"short_2020", "no_year"}),
        ({"min_words": "5", "max_words": "10"}, {"mid_2024", "no_year"}),
        ({"has_image_credit": "true"}, {"long_2022", "mid_2024"}),
        ({"has_image_credit": "False"}, {"short_2020", "no_year"}),
        ({"has_image_credit": "true", "copyright_year": "2024"}, {"mid_2024"}),
    ],
)
def test_number_and_boolean_filters(api_client, numbered, params, expected):
    assert found(api_client, **params) == {numbered[e].pk for e in expected}


@pytest.mark.parametrize(
    ("param", "value", "reason"),
    [
        ("min_words", "-x", "whole number"),
        ("min_words", "1.5", "whole number"),
        ("max_words", "-1", "greater than or equal to 0"),
        ("max_words", "99999999999999999999999", "less than or equal to"),
        ("copyright_year", "20x4", "whole number"),
        ("copyright_year_min", "40000", "less than or equal to"),
        ("copyright_year_max", "-2", "greater than or equal to 0"),
        ("has_image_credit", "maybe", "true or false"),
        ("status", "bogus", "not one of the available choices"),
    ],
)
def test_bad_values_are_a_400_naming_the_parameter_and_the_reason(api_client, param, value, reason):
    ArticleFactory()

    response = api_client.get(ARTICLES_URL, {param: value})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert list(response.json()) == [param]
    assert reason in response.json()[param][0]


def test_several_bad_values_are_all_named(api_client):
    response = api_client.get(ARTICLES_URL, {"min_words": "x", "published_after": "yesterday", "author": "no body"})

    assert response.status_code == 400
    assert set(response.json()) == {"min_words", "published_after", "author"}


def test_source_filter_is_exact(api_client):
    article = ArticleFactory(source_key="batch/001.txt")
    ArticleFactory(source_key="batch/001.txt.bak")

    assert found(api_client, source="batch/001.txt") == {article.pk}
    assert found(api_client, source="batch/001") == set()


def test_unknown_parameters_are_ignored(api_client):
    article = ArticleFactory()

    assert found(api_client, colour="blue", authr="typo") == {article.pk}


def test_blank_values_mean_no_filter(api_client):
    article = ArticleFactory()
    params = dict.fromkeys(["author", "publisher", "published_after", "min_words", "has_image_credit", "source"], "")

    assert found(api_client, **params) == {article.pk}


@pytest.mark.parametrize("client_fixture", ["api_client", "user_client"])
def test_no_filter_reveals_unpublished_articles(request, client_fixture, bylines):
    """GIVEN drafts and withdrawn articles matching every filter given
    WHEN a non-staff requester filters for them in every way
    THEN none of them comes back.
    """
    for status in [Article.Status.DRAFT, Article.Status.WITHDRAWN]:
        make_article(status, authors=[bylines["cy"]], publisher=bylines["first"], image_credit="x")
    client = request.getfixturevalue(client_fixture)
    hidden = set(Article.objects.exclude(status=Article.Status.PUBLISHED).values_list("pk", flat=True))

    for params in [
        {"status": "draft"},
        {"status": "withdrawn"},
        {"author": bylines["cy"].slug},
        {"publisher": bylines["first"].slug},
        {"has_image_credit": "true"},
        {"needs_review": "false"},
    ]:
        assert not found(client, **params) & hidden, params


# --- Authors and publishers -------------------------------------------------------


def test_author_name_filter_contains_ignoring_case(api_client):
    ann, _, annette = AuthorFactory(name="Ann Ames"), AuthorFactory(name="Bob Burr"), AuthorFactory(name="Annette Cy")
    ArticleFactory(authors=[ann, _, annette])

    assert found(api_client, AUTHORS_URL, name="ANN") == {ann.pk, annette.pk}
    assert found(api_client, AUTHORS_URL, name="burr") == {_.pk}


def test_publisher_name_filter_contains_ignoring_case(api_client):
    blaze, other = ArticleFactory(publisher__name="Blaze Media LLC").publisher, PublisherFactory(name="Other News")
    ArticleFactory(publisher=other)

    assert found(api_client, PUBLISHERS_URL, name="media") == {blaze.pk}
    assert found(api_client, PUBLISHERS_URL, name="NEWS") == {other.pk}


@pytest.mark.parametrize(
    ("client_fixture", "staff"), [("api_client", False), ("user_client", False), ("staff_client", True)]
)
def test_has_articles_counts_only_visible_articles(request, client_fixture, staff):
    """GIVEN an author and a publisher with published articles, and others with drafts only or nothing
    WHEN the lists are filtered by has_articles
    THEN drafts count only for staff (for others, people without published articles are not listed at all).
    """
    published_author, draft_author, idle_author = AuthorFactory(), AuthorFactory(), AuthorFactory()
    published_pub, draft_pub, idle_pub = PublisherFactory(), PublisherFactory(), PublisherFactory()
    make_article(authors=[published_author], publisher=published_pub)
    make_article(Article.Status.DRAFT, authors=[draft_author], publisher=draft_pub)
    client = request.getfixturevalue(client_fixture)

    with_authors = {published_author.pk, draft_author.pk} if staff else {published_author.pk}
    with_pubs = {published_pub.pk, draft_pub.pk} if staff else {published_pub.pk}
    assert found(client, AUTHORS_URL, has_articles="true") == with_authors
    without_authors = {draft_author.pk, idle_author.pk} - with_authors if staff else set()
    assert found(client, AUTHORS_URL, has_articles="false") == without_authors
    assert found(client, PUBLISHERS_URL, has_articles="yes") == with_pubs
    without_pubs = {draft_pub.pk, idle_pub.pk} - with_pubs if staff else set()
    assert found(client, PUBLISHERS_URL, has_articles="no") == without_pubs


@pytest.mark.parametrize("url", [AUTHORS_URL, PUBLISHERS_URL])
@pytest.mark.parametrize(("param", "value"), [("has_articles", "perhaps"), ("name", "x" * 300)])
def test_bad_author_and_publisher_filters_are_a_400(api_client, url, param, value):
    response = api_client.get(url, {param: value})

    assert response.status_code == 400
    assert list(response.json()) == [param]


@pytest.mark.parametrize(("url", "param"), [(AUTHORS_URL, "author"), (PUBLISHERS_URL, "publisher")])
def test_articles_url_lists_exactly_their_visible_articles(api_client, url, param):
    """GIVEN an author and a publisher with a published article and a draft, and another article
    WHEN a client follows articles_url from their detail
    THEN it lists exactly their published article.
    """
    author, publisher = AuthorFactory(), PublisherFactory()
    theirs = make_article(authors=[author], publisher=publisher)
    make_article(Article.Status.DRAFT, authors=[author], publisher=publisher)
    ArticleFactory(authors=[AuthorFactory()])
    obj = author if param == "author" else publisher

    link = api_client.get(f"{url}{obj.pk}/").json()["articles_url"]
    response = api_client.get(link)

    assert link == f"http://testserver{ARTICLES_URL}?{param}={obj.slug}"
    assert ids(response) == [theirs.pk]
