"""``match_articles``: saved searches against new articles, equal to the article list (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from rest_framework.test import APIClient

from articles.alerts.matching import match_articles
from articles.api.search_filters import SavedQueryError, saved_query
from articles.models import Article, Collection, SavedSearch
from tests.api.helpers import ARTICLES_URL, ids
from tests.factories import ArticleFactory, AuthorFactory, PublisherFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
# Query strings of the article list, each compared with the list's own answer.
QUERIES = [
    "",
    "q=otters",
    "q=otter",
    'q="river otters"',
    "q=otters+-river",
    "q=otters+OR+beavers",
    "q=otter*",
    "q=*",
    "q=nutrias",
    "q=otters&publisher=daily-news",
    "q=otters&publisher=daily-news,evening-post",
    "publisher=daily-news",
    "publisher=nobody-by-that-name",
    "q=otters&author=jane-doe",
    "author=jane-doe",
    "collection=papers",
    "q=otters&collection=papers&publisher=evening-post",
    "language=es",
    "q=nutria&language=es",
    "language=und",
    "q=otters&published_after=2024-01-01",
    "published_before=2023-12-31",
    "published_after=2023-06-01&published_before=2024-06-30",
    "min_words=5",
    "q=otters&max_words=6",
    "status=draft",
    "status=published&q=otters",
    "q=otters&needs_review=true",
    "copyright_year=2020",
    "copyright_year_min=2021",
    "has_image_credit=true",
    "has_duplicate_of=true",
    "changed_since=2024-01-01",
    "q=otters&ordering=-date&page_size=5",
]


@pytest.fixture
def archive():
    """GIVEN an archive of old articles and a run of new ones of every kind the filters tell apart."""
    daily, evening, other = (PublisherFactory(name=n) for n in ("Daily News", "Evening Post", "Other"))
    Collection.objects.create(name="Papers", slug="papers").publishers.set([daily, evening])
    jane = AuthorFactory(name="Jane Doe")
    when = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    old = [ArticleFactory(body="Otters live by the river.", publisher=daily) for _ in range(3)]
    new = [
        ArticleFactory(body="River otters are back.", publisher=daily, published_at=when, authors=[jane]),
        ArticleFactory(body="Sea otters float; beavers build.", publisher=evening, published_at=when - 300 * DAY),
        ArticleFactory(body="Beavers only, many many words here.", publisher=other, image_credit="Photo: X"),
        ArticleFactory(body="Las nutrias del río.", title="Nutrias", language="es", publisher=evening),
        ArticleFactory(body="An otter of no known language.", language="", publisher=other, copyright_year=2020),
        ArticleFactory(body="Draft otters.", status=Article.Status.DRAFT, published_at=None, needs_review=True),
        ArticleFactory(body="Embargoed otters.", embargo_until=timezone.now() + DAY, publisher=daily),
        ArticleFactory(body="Lifted embargo otters.", embargo_until=timezone.now() - DAY, publisher=daily),
        ArticleFactory(body="Withdrawn otters.", status=Article.Status.WITHDRAWN, needs_review=True),
        # Title, subtitle and body share one field of the matching index: "river otters" must not span two.
        ArticleFactory(title="Down by the river", subtitle="Otters ahead", body="Otters, then the river."),
    ]
    Article.objects.filter(pk=new[1].pk).update(duplicate_of=old[0], source_changed_at=when)
    return [a.pk for a in old], [a.pk for a in new]


@pytest.fixture
def owners(django_user_model):
    """A reader, a staff member, and an editor who is staff through a group's permission only."""
    reader = django_user_model.objects.create_user("reader", password="pw-for-tests-only")
    staff = django_user_model.objects.create_user("staffer", password="pw-for-tests-only", is_staff=True)
    editor = django_user_model.objects.create_user("editor", password="pw-for-tests-only")
    group = Group.objects.create(name="editors")
    group.permissions.add(Permission.objects.get(codename="change_article"))
    editor.groups.add(group)
    return {"reader": reader, "staff": staff, "editor": editor}


def listed(user, query: str, new: list[int]) -> list[int]:
    """Return the ids of ``new`` the article list given ``query`` shows ``user``, ascending."""
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"{ARTICLES_URL}?{query}&page_size=100" if query else f"{ARTICLES_URL}?page_size=100")
    assert response.status_code == 200, response.content
    return sorted(set(ids(response)) & set(new))


def test_matches_equal_the_article_list_for_every_owner(archive, owners):
    """GIVEN saved searches of every kind for a reader, a staff member and a group editor
    WHEN the new articles are matched
    THEN each search matches exactly what the list with its query string shows its owner, among the new ones.
    """
    _, new = archive
    searches = [
        SavedSearch.objects.create(owner=user, name=f"{role} {i}", query=query)
        for role, user in owners.items()
        for i, query in enumerate(QUERIES)
    ]

    matches = match_articles(article_ids=new)

    for search in searches:
        expected = listed(search.owner, search.query, new)
        assert matches.get(search.pk, []) == expected, (search.owner.username, search.query)
    assert all(matches.values()), "only searches that match are returned"


def test_embargoed_and_draft_articles_match_staff_only(archive, owners):
    _, new = archive
    embargoed = Article.objects.get(body="Embargoed otters.").pk
    draft = Article.objects.get(body="Draft otters.").pk
    reader = SavedSearch.objects.create(owner=owners["reader"], name="r", query="q=otters")
    staff = SavedSearch.objects.create(owner=owners["staff"], name="s", query="q=otters")

    matches = match_articles(article_ids=new)

    assert embargoed not in matches[reader.pk] and draft not in matches[reader.pk]
    assert {embargoed, draft} <= set(matches[staff.pk])


def test_only_the_given_articles_and_searches(archive, owners):
    old, new = archive
    everything = SavedSearch.objects.create(owner=owners["reader"], name="all", query="q=otters")
    other = SavedSearch.objects.create(owner=owners["reader"], name="other", query="q=beavers")

    matches = match_articles(article_ids=[*old, new[0], 10**9], searches=[everything])

    assert matches == {everything.pk: sorted([*old, new[0]])}
    assert other.pk not in match_articles(article_ids=[new[0]])


def test_refused_queries_match_nothing(archive, owners):
    _, new = archive
    bad = [
        SavedSearch.objects.create(owner=owners["reader"], name=str(i), query=q)
        for i, q in enumerate(["min_words=lots", "q=-otters", "language=xx", f"q={'a ' * 40}"])
    ]

    assert match_articles(article_ids=new, searches=bad) == {}


def test_chunks_and_a_pass_over_many_searches_keep_their_answers(archive, owners, monkeypatch):
    """GIVEN chunks of two articles and blocks of two searches
    WHEN matched
    THEN the answers are those of one chunk and one block.
    """
    _, new = archive
    for i, query in enumerate(QUERIES):
        SavedSearch.objects.create(owner=owners["reader" if i % 2 else "staff"], name=str(i), query=query)
    whole = match_articles(article_ids=new)
    monkeypatch.setattr("articles.alerts.matching.BATCH", 2)
    monkeypatch.setattr("articles.alerts.matching.SEARCH_BLOCK", 2)

    assert match_articles(article_ids=new) == whole
    assert match_articles(article_ids=new, searches=list(SavedSearch.objects.all())) == whole


def test_a_pass_reads_permissions_in_bulk(archive, owners, django_user_model, django_assert_max_num_queries):
    """GIVEN forty readers' searches whose words no new article has
    WHEN matched
    THEN the queries are those of the pass, not one per search or owner.
    """
    _, new = archive
    for i in range(40):
        user = django_user_model.objects.create_user(f"u{i}", password="pw-for-tests-only")
        SavedSearch.objects.create(owner=user, name="x", query=f"q=zebra{i}&publisher=daily-news")

    # Articles, bylines, searches, and the owners' own and group permissions.
    with django_assert_max_num_queries(5):
        assert match_articles(article_ids=new) == {}


def test_shared_filters_are_validated_once(archive, owners, django_user_model, django_assert_max_num_queries):
    """GIVEN forty readers following otters at the same publisher, and forty staff members doing the same
    WHEN matched
    THEN the publisher's slug is looked up once per visibility, not once per search.
    """
    _, new = archive
    for i in range(80):
        user = django_user_model.objects.create_user(f"u{i}", password="pw-for-tests-only", is_staff=i % 2 == 0)
        SavedSearch.objects.create(owner=user, name="x", query=f"publisher=daily-news&q=otters+OR+zebra{i}")

    # Articles, bylines, searches, the owners' permissions, and one slug look-up for each visibility.
    with django_assert_max_num_queries(7):
        matches = match_articles(article_ids=new)

    assert len(matches) == 80


def test_saved_query_validates_as_the_api_does(owners):
    with pytest.raises(SavedQueryError, match="min_words"):
        saved_query("min_words=lots", user=owners["reader"])
    query, filters, unindexed = saved_query("q=otters&status=draft&changed_since=2024-01-01", user=owners["reader"])
    assert query is not None and filters.statuses == ("-",)
    assert unindexed == {"changed_since": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}
    assert saved_query("status=draft", user=owners["staff"]).filters.statuses == ("draft",)


def test_the_article_filter_form_cleans_field_by_field(owners):
    """The saved-query parser cleans each parameter with its own field: the form may not validate across them."""
    from django import forms
    from django.http import HttpRequest

    from articles.api.filters import ArticleFilter

    request = HttpRequest()
    request.user = owners["reader"]
    form_class = ArticleFilter(queryset=Article.objects.none(), request=request).get_form_class()
    assert form_class.clean is forms.Form.clean
    assert not [name for name in dir(form_class) if name.startswith("clean_")]
    with pytest.raises(SavedQueryError) as refused:
        saved_query("min_words=lots&published_after=yesterday&q=otters", user=owners["reader"])
    assert set(refused.value.errors) == {"min_words", "published_after"}


def test_a_word_no_analyser_keeps_is_dropped_as_the_list_drops_it(archive, owners):
    """A group of only a word longer than the index keeps (40 characters) is no condition, as in the list."""
    _, new = archive
    long_word = "x" * 45
    search = SavedSearch.objects.create(owner=owners["reader"], name="long", query=f"q=otters+{long_word}")
    missing = SavedSearch.objects.create(owner=owners["reader"], name="none", query="q=otters+zebras")

    matches = match_articles(article_ids=new)

    assert matches[search.pk] == listed(owners["reader"], f"q=otters+{long_word}", new) != []
    assert missing.pk not in matches


def test_more_owners_than_the_pass_remembers(archive, django_user_model, monkeypatch):
    """GIVEN blocks of three searches, room to remember four owners, and one owner's search in every block
    WHEN matched
    THEN every search still matches (the owners met before are forgotten before a block, never within one)
    """
    _, new = archive
    monkeypatch.setattr("articles.alerts.matching.CACHE_SIZE", 4)
    monkeypatch.setattr("articles.alerts.matching.SEARCH_BLOCK", 3)
    users = [django_user_model.objects.create_user(f"r{i}") for i in range(7)]
    searches = [
        SavedSearch.objects.create(owner=users[i], name=f"o{n}", query="q=otters")
        for n, i in enumerate([0, 1, 2, 3, 0, 4, 5, 0, 6])
    ]

    matches = match_articles(article_ids=new)

    assert set(matches) == {search.pk for search in searches}
    assert len({tuple(found) for found in matches.values()}) == 1
