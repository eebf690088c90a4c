"""``?ordering=random&seed=N``: a reproducible random order, paged by number and by cursor."""

from __future__ import annotations

import json

import pytest

from articles.api.sampling import MAX_SEED, sample_point
from articles.models import SAMPLE_KEY_BITS, Article, new_sample_key
from tests.api.helpers import ARTICLES_URL, ids, make_article

pytestmark = pytest.mark.django_db

SPREAD = 2**SAMPLE_KEY_BITS // 24
SEEDS = [0, 1, 2, 12345, MAX_SEED]


def rotated(articles: list[Article], seed: int) -> list[int]:
    """Return the ids of ``articles`` in the order of ``seed``: keys from its point on, then those before it."""
    point = sample_point(seed)
    by_key = sorted(articles, key=lambda a: (a.sample_key, a.pk))
    return [a.pk for a in by_key if a.sample_key >= point] + [a.pk for a in by_key if a.sample_key < point]


def walk(client, url: str, params: dict | None = None) -> list[int]:
    """Follow ``next`` links from ``url``; return the ids seen in order."""
    seen: list[int] = []
    while url:
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        seen += ids(response)
        url, params = response.json()["next"], None
    return seen


def numbered(client, seed: int | None, size: int, **params) -> list[int]:
    """Return the ids of every numbered page of the random order of ``seed``, in order."""
    query = {"ordering": "random", "page_size": size, **params} | ({} if seed is None else {"seed": seed})
    return walk(client, ARTICLES_URL, query)


@pytest.fixture
def archive() -> list[Article]:
    """24 published articles with keys spread over the whole range (two sharing a key), and 4 drafts."""
    published = [make_article() for _ in range(24)]
    drafts = [make_article(Article.Status.DRAFT) for _ in range(4)]
    keys = [n * SPREAD + 7 for n in range(24)]
    keys[5] = keys[4]  # a tie: broken by id
    for article, key in zip(
        published + drafts, [*keys, 3 * SPREAD, 9 * SPREAD, 15 * SPREAD + 1, 21 * SPREAD], strict=True
    ):
        Article.objects.filter(pk=article.pk).update(sample_key=key)
        article.sample_key = key
    return published + drafts


def test_new_articles_draw_their_own_keys():
    keys = {make_article().sample_key for _ in range(10)}

    assert len(keys) > 1
    assert all(0 <= new_sample_key() < 2**31 for _ in range(100))
    assert Article.objects.filter(sample_key__in=keys).count() == 10


def test_sample_point_is_fixed_by_the_seed():
    points = [sample_point(seed) for seed in SEEDS]

    assert points == [sample_point(seed) for seed in SEEDS]
    assert len(set(points)) == len(SEEDS)
    assert all(0 <= point < 2**SAMPLE_KEY_BITS for point in points)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", [5, 7, 100])
def test_numbered_pages_follow_the_seed(api_client, archive, seed, size):
    expected = rotated(archive[:24], seed)

    assert numbered(api_client, seed, size) == expected
    assert numbered(api_client, seed, size) == expected


def test_every_seed_used_starts_both_phases(archive):
    """The fixture's keys lie on both sides of every seed's point, so each walk crosses it."""
    for seed in SEEDS:
        point = sample_point(seed)
        keys = [a.sample_key for a in archive[:24]]
        assert min(keys) < point <= max(keys) or seed == MAX_SEED


def test_seeds_give_different_orders(api_client, archive):
    orders = [numbered(api_client, seed, 100) for seed in SEEDS]

    assert all(sorted(order) == sorted(a.pk for a in archive[:24]) for order in orders)
    assert len({tuple(order) for order in orders}) == len(SEEDS)


def test_seed_defaults_to_zero(api_client, archive):
    assert numbered(api_client, None, 5) == numbered(api_client, 0, 5) == rotated(archive[:24], 0)
    blank = api_client.get(ARTICLES_URL, {"ordering": "random", "seed": " ", "page_size": 100})
    assert ids(blank) == rotated(archive[:24], 0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", [1, 5, 24, 25])
def test_cursor_walk_follows_the_seed(api_client, archive, seed, size):
    seen = walk(
        api_client, ARTICLES_URL, {"ordering": "random", "seed": seed, "page_size": size, "page_mode": "cursor"}
    )

    assert seen == rotated(archive[:24], seed)


@pytest.mark.parametrize("seed", [1, 12345])
def test_cursor_walks_back_over_the_same_pages(api_client, archive, seed):
    params = {"ordering": "random", "seed": seed, "page_size": 5, "page_mode": "cursor"}
    pages, url, query = [], ARTICLES_URL, params
    while url:
        response = api_client.get(url, query)
        pages.append((ids(response), response.json()["previous"]))
        url, query = response.json()["next"], None
    assert pages[0][1] is None

    for (page, previous), (earlier, _) in zip(pages[1:], pages, strict=False):
        assert page
        assert ids(api_client.get(previous)) == earlier


def test_a_cursor_of_one_seed_is_refused_for_another(api_client, archive):
    first = api_client.get(ARTICLES_URL, {"ordering": "random", "seed": 1, "page_size": 5, "page_mode": "cursor"})
    token = first.json()["next"].split("cursor=")[1].split("&")[0]

    same = api_client.get(ARTICLES_URL, {"ordering": "random", "seed": 1, "page_size": 5, "cursor": token})
    other = api_client.get(ARTICLES_URL, {"ordering": "random", "seed": 2, "page_size": 5, "cursor": token})
    newest = api_client.get(ARTICLES_URL, {"page_size": 5, "cursor": token})

    assert same.status_code == 200
    assert ids(same) == rotated(archive[:24], 1)[5:10]
    assert other.status_code == 404
    assert "another ordering" in other.json()["detail"]
    assert newest.status_code == 404


def test_a_cursor_with_a_bad_phase_is_refused(api_client, archive):
    from articles.api.cursors import encode_cursor
    from articles.api.sampling import CURSOR_KEYS

    token = encode_cursor("a", CURSOR_KEYS, [2, 5, 1], salt="seed=0")

    response = api_client.get(ARTICLES_URL, {"ordering": "random", "cursor": token})

    assert response.status_code == 404


def test_staff_sample_every_status_once(staff_client, archive):
    for seed in (0, 3):
        assert numbered(staff_client, seed, 6) == rotated(archive, seed)
        seen = walk(
            staff_client, ARTICLES_URL, {"ordering": "random", "seed": seed, "page_mode": "cursor", "page_size": 6}
        )
        assert seen == rotated(archive, seed)


def test_filters_narrow_the_sample(staff_client, archive):
    drafts = archive[24:]

    assert numbered(staff_client, 5, 3, status="draft") == rotated(drafts, 5)


@pytest.mark.parametrize("seed", ["x", "1.5", "-1", str(MAX_SEED + 1), "9" * 40])
def test_a_bad_seed_is_a_400(api_client, archive, seed):
    response = api_client.get(ARTICLES_URL, {"ordering": "random", "seed": seed})

    assert response.status_code == 400
    assert list(response.json()) == ["seed"]


def test_seed_is_ignored_with_another_ordering(api_client, archive):
    response = api_client.get(ARTICLES_URL, {"ordering": "title", "seed": 3, "page_size": 100})
    default = api_client.get(ARTICLES_URL, {"seed": 3, "page_size": 100})

    assert ids(response) == [a.pk for a in sorted(archive[:24], key=lambda a: (a.title, -a.pk))]
    assert ids(default) == ids(api_client.get(ARTICLES_URL, {"page_size": 100}))


@pytest.mark.parametrize("params", [{"ordering": "title"}, {}])
def test_a_bad_seed_is_a_400_with_any_ordering(api_client, archive, params):
    """As a ``page`` the cursor ignores: what the schema refuses is refused, even where it would order nothing."""
    response = api_client.get(ARTICLES_URL, {"seed": "-1", **params})

    assert response.status_code == 400
    assert list(response.json()) == ["seed"]


@pytest.mark.parametrize("ordering", ["random,title", "-date,random", "random,nonsense"])
def test_random_orders_by_itself(api_client, archive, ordering):
    response = api_client.get(ARTICLES_URL, {"ordering": ordering, "seed": 4, "page_size": 100})

    assert response.status_code == 200
    assert ids(response) == rotated(archive[:24], 4)


def test_a_search_samples_its_matches(staff_client, archive):
    """With q, the index walks the same order over the matches (its sample_key fast field), on both paging styles."""
    Article.objects.filter(pk__in=[a.pk for a in archive[::3]]).update(body="A zebra crossed the road.")
    matches = archive[::3]

    for seed in (0, 1, 12345):
        assert numbered(staff_client, seed, 3, q="zebra") == rotated(matches, seed)
        cursor = {"ordering": "random", "seed": seed, "page_size": 3, "page_mode": "cursor", "q": "zebra"}
        assert walk(staff_client, ARTICLES_URL, cursor) == rotated(matches, seed)
    page = staff_client.get(ARTICLES_URL, {"ordering": "random", "q": "zebra", "page_size": 2}).json()
    assert all(item["rank"] > 0 and "<mark>" in item["snippet"] for item in page["results"])


def test_an_anonymous_search_samples_published_matches(api_client, archive):
    assert numbered(api_client, 9, 4, q="story") == rotated(archive[:24], 9)


def test_an_unknown_ordering_lists_random(api_client, archive):
    response = api_client.get(ARTICLES_URL, {"ordering": "nonsense"})

    assert response.status_code == 400
    assert "random" in response.json()["ordering"][0]


@pytest.mark.parametrize("q", [None, "story"])
def test_export_follows_the_random_order(staff_client, archive, q):
    params = {"ordering": "random", "seed": 7, "fields": "id"} | ({"q": q} if q else {})
    response = staff_client.get(f"{ARTICLES_URL}export.ndjson", params)

    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == rotated(archive, 7)


# A page within one phase: COUNT, the page, the bylines (as any list). Across the point: the second phase's
# rows too; wholly past it: also the first phase's (empty) slice and its count up to the offset.
@pytest.mark.parametrize(("page", "queries"), [(1, 3), (2, 4), (5, 5)])
def test_numbered_page_queries(api_client, django_assert_num_queries, archive, page, queries):
    seed = next(s for s in range(100) if 6 < sum(a.sample_key >= sample_point(s) for a in archive[:24]) < 9)

    with django_assert_num_queries(queries):
        response = api_client.get(ARTICLES_URL, {"ordering": "random", "seed": seed, "page_size": 5, "page": page})

    assert ids(response) == rotated(archive[:24], seed)[(page - 1) * 5 : page * 5]


def test_cursor_page_queries(api_client, django_assert_num_queries, archive):
    with django_assert_num_queries(2):
        response = api_client.get(ARTICLES_URL, {"ordering": "random", "page_size": 1, "page_mode": "cursor"})

    assert ids(response) == rotated(archive[:24], 0)[:1]
