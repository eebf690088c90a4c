"""Near-duplicates at import: a copy of an article under another key is a draft flagged for review, linked to it."""

from __future__ import annotations

import random
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import duplicates, importing
from articles.importing.applying import reparse_article
from articles.models import Article, ArticleFingerprint, Publisher
from tests.duplicate_texts import COPY, SAME_TOPIC, STORY, body
from tests.factories import ArticleFactory
from tests.seedtext import seed_text

pytestmark = pytest.mark.django_db


def write(
    directory: Path, name: str, paragraphs: tuple[str, ...], title: str = "Bridge closed to trucks", **parts: str
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(seed_text(title=title, paragraphs=paragraphs, **parts))
    return path


def import_story(tmp_path: Path) -> Article:
    write(tmp_path / "first", "story.txt", STORY)
    importing.import_paths(paths=[tmp_path / "first"])
    return Article.objects.get(source_key="story.txt")


def assert_flagged(article: Article, original: Article) -> None:
    assert article.status == Article.Status.DRAFT
    assert article.published_at is None
    assert article.needs_review is True
    assert article.review_reasons == [f"possible duplicate of #{original.pk}"]
    assert article.review_priority == 75
    assert article.duplicate_of_id == original.pk


def test_a_copy_under_another_key_is_a_draft_flagged_as_a_possible_duplicate(tmp_path):
    """
    GIVEN an archive with a story
    WHEN a lightly edited copy of it (a few words changed, a wire credit added) is imported under another key
    THEN it is created as a draft for review, a possible duplicate of the story, which stays published
    """
    story = import_story(tmp_path)
    write(tmp_path / "wire", "copy.txt", COPY)

    report = importing.import_paths(paths=[tmp_path / "wire"])

    assert report.counts["created"] == 1
    copy = Article.objects.get(source_key="copy.txt")
    assert_flagged(copy, story)
    story.refresh_from_db()
    assert (story.status, story.needs_review, story.duplicate_of) == (Article.Status.PUBLISHED, False, None)
    assert ArticleFingerprint.objects.filter(article=copy).count() == duplicates.BANDS


def test_the_later_of_two_copies_in_one_batch_is_the_duplicate(tmp_path):
    write(tmp_path, "1-story.txt", STORY)
    write(tmp_path, "2-copy.txt", COPY)

    importing.import_paths(paths=[tmp_path])

    story, copy = Article.objects.get(source_key="1-story.txt"), Article.objects.get(source_key="2-copy.txt")
    assert (story.status, story.duplicate_of) == (Article.Status.PUBLISHED, None)
    assert_flagged(copy, story)


@pytest.mark.parametrize(
    ("paragraphs", "result"),
    [
        pytest.param(STORY, "duplicates", id="the same text stays an exact duplicate, not imported"),
        pytest.param(SAME_TOPIC, "created", id="another story on the same news is published"),
    ],
)
def test_what_is_no_near_duplicate_is_not_flagged(tmp_path, paragraphs, result):
    import_story(tmp_path)
    write(tmp_path / "other", "other.txt", paragraphs)

    report = importing.import_paths(paths=[tmp_path / "other"])

    assert report.counts[result] == 1
    assert not Article.objects.filter(needs_review=True).exists()
    assert not Article.objects.exclude(duplicate_of=None).exists()


def test_a_reimport_of_the_copy_keeps_its_flag(tmp_path):
    """
    GIVEN a copy flagged at import
    WHEN its file is imported again unchanged, then with a changed text that parses cleanly
    THEN it stays a draft flagged as a possible duplicate, and its fingerprints follow the new text
    """
    story = import_story(tmp_path)
    write(tmp_path / "wire", "copy.txt", COPY)
    importing.import_paths(paths=[tmp_path / "wire"])

    assert importing.import_paths(paths=[tmp_path / "wire"]).counts["unchanged"] == 1
    write(tmp_path / "wire", "copy.txt", (*COPY, "A line the wire added later."))
    assert importing.import_paths(paths=[tmp_path / "wire"]).counts["updated"] == 1

    copy = Article.objects.get(source_key="copy.txt")
    assert_flagged(copy, story)
    stored = set(ArticleFingerprint.objects.filter(article=copy).values_list("key", flat=True))
    assert stored == set(duplicates.fingerprint(copy.body).keys)


def test_a_reparse_keeps_the_flag(tmp_path):
    story = import_story(tmp_path)
    write(tmp_path / "wire", "copy.txt", COPY)
    importing.import_paths(paths=[tmp_path / "wire"])

    copy = reparse_article(article=Article.objects.get(source_key="copy.txt"))

    copy.refresh_from_db()
    assert copy.review_reasons == [f"possible duplicate of #{story.pk}"]
    assert (copy.needs_review, copy.duplicate_of_id) == (True, story.pk)


def unrelated(i: int) -> tuple[str, ...]:
    rng = random.Random(i)
    return tuple(" ".join(f"word{rng.randrange(5000)}" for _ in range(40)) + "." for _ in range(3))


def test_queries_per_batch_do_not_grow_with_the_archive_or_its_copies(tmp_path):
    """
    GIVEN an archive with a story, a copy of it and a few other articles, then one with many more
    WHEN the same batch is imported into each: a copy of the story, a story and its copy, three others
    THEN both imports run the same number of queries
    """

    def queries_to_import(existing: int) -> int:
        Article.objects.all().delete()
        Publisher.objects.all().delete()
        archive = tmp_path / f"archive-{existing}"
        for i in range(existing):
            text = (*COPY, "A copy already in the archive.") if i == 1 else unrelated(100 + i)
            write(archive, f"old-{i}.txt", text, title=f"Old {i}")
        import_story(archive)
        new = tmp_path / f"new-{existing}"
        # Each of its own publisher: paragraphs repeated in a publisher's articles would be learned as its
        # boilerplate, the same batch crossing the share that makes a line boilerplate in one archive only.
        write(new, "0.txt", COPY, publisher="Wire 0")
        write(new, "1.txt", SAME_TOPIC, publisher="Wire 1")
        write(new, "2.txt", (*SAME_TOPIC, "Distributed by the wire."), publisher="Wire 2")
        for i in range(3, 6):
            write(new, f"{i}.txt", unrelated(i), title=f"Other story {i}", publisher=f"Wire {i}")
        with CaptureQueriesContext(connection) as ctx:
            report = importing.import_paths(paths=[new])
        assert report.counts["created"] == 6
        assert Article.objects.filter(source_key__in=["0.txt", "2.txt"], needs_review=True).count() == 2
        return len(ctx.captured_queries)

    assert queries_to_import(8) == queries_to_import(40)


class TestApi:
    @pytest.fixture
    def copy(self, tmp_path) -> Article:
        import_story(tmp_path)
        write(tmp_path / "wire", "copy.txt", COPY)
        importing.import_paths(paths=[tmp_path / "wire"])
        return Article.objects.get(source_key="copy.txt")

    def test_an_article_shows_what_it_may_duplicate(self, copy, staff_client):
        detail = staff_client.get(f"/api/v1/articles/{copy.pk}/").json()
        listed = staff_client.get("/api/v1/articles/?fields=id,duplicate_of").json()["results"]

        assert detail["duplicate_of"] == copy.duplicate_of_id
        assert {row["id"]: row["duplicate_of"] for row in listed} == {
            copy.pk: copy.duplicate_of_id,
            copy.duplicate_of_id: None,
        }

    @pytest.mark.parametrize(
        ("query", "expected"),
        [("has_duplicate_of=true", "copy"), ("has_duplicate_of=false", "story")],
    )
    def test_the_list_filters_by_it(self, copy, staff_client, query, expected):
        story = copy.duplicate_of_id
        response = staff_client.get(f"/api/v1/articles/?fields=id&{query.format(story=story)}")

        assert [row["id"] for row in response.json()["results"]] == [copy.pk if expected == "copy" else story]

    @pytest.mark.parametrize("query", ["has_duplicate_of=maybe", "has_duplicate_of=2"])
    def test_a_bad_filter_value_is_a_400(self, staff_client, query):
        response = staff_client.get(f"/api/v1/articles/?{query}")

        assert response.status_code == 400
        assert query.split("=")[0] in response.json()


class TestFindDuplicates:
    def run(self, *args: str) -> str:
        out = StringIO()
        call_command("find_duplicates", *args, stdout=out)
        return out.getvalue()

    def test_it_indexes_the_archive_and_reports_each_cluster(self):
        """
        GIVEN an archive without fingerprints: a story, two copies of it, another story on the same news
        WHEN find_duplicates runs, then again with --flag, then once more with --flag
        THEN it reports one cluster of three, flags the two copies once, and indexes each article once
        """
        story = ArticleFactory(title="Bridge closed", body=body(STORY))
        first = ArticleFactory(title="Bridge shut", body=body(COPY))
        second = ArticleFactory(title="Trucks banned", body=body((*STORY, "Copyright the wire.")))
        ArticleFactory(title="Other", body=body(SAME_TOPIC))

        output = self.run("--batch-size", "2")

        assert output.splitlines() == [
            f"#{story.pk} Bridge closed · #{first.pk} Bridge shut · #{second.pk} Trucks banned",
            "1 clusters of near-duplicates (3 articles); 4 articles indexed",
        ]
        assert "2 copies flagged" in self.run("--flag")
        for copy in (first, second):
            copy.refresh_from_db()
            assert (copy.duplicate_of_id, copy.status, copy.needs_review) == (story.pk, Article.Status.DRAFT, True)
        assert self.run("--flag").splitlines()[-1].endswith("0 articles indexed; 0 copies flagged")

    def test_a_stricter_threshold_finds_no_cluster(self):
        ArticleFactory(body=body(STORY))
        ArticleFactory(body=body(COPY))

        assert self.run("--threshold", "0.95").splitlines() == [
            "0 clusters of near-duplicates (0 articles); 2 articles indexed"
        ]

    @pytest.mark.parametrize("args", [("--threshold", "0"), ("--threshold", "1.5"), ("--batch-size", "0")])
    def test_bad_options_are_refused(self, args):
        from django.core.management import CommandError

        with pytest.raises(CommandError):
            self.run(*args)
