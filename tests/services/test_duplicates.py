"""Near-duplicates: shingles, signatures and the threshold (pure), and flagging and resolving a copy (services)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles import deduplication, duplicates, triage
from articles.models import Article, ArticleFingerprint
from tests.duplicate_texts import COPY, SAME_TOPIC, SHORT, STORY, body
from tests.factories import ArticleFactory


def fingerprint(paragraphs: tuple[str, ...]) -> duplicates.Fingerprint:
    return duplicates.fingerprint(body(paragraphs))


@pytest.mark.parametrize(
    ("other", "copy"),
    [
        pytest.param(COPY, True, id="a lightly edited copy is one"),
        pytest.param(STORY, True, id="the same text is one"),
        pytest.param(SAME_TOPIC, False, id="another story on the same news is not"),
        pytest.param(STORY[:2], False, id="half of the story is not"),
    ],
)
def test_the_threshold_tells_copies_from_other_stories(other, copy):
    assert duplicates.is_copy(fingerprint(STORY), fingerprint(other)) is copy


def test_a_copy_shares_band_keys_and_another_story_none():
    story, copy, other = fingerprint(STORY), fingerprint(COPY), fingerprint(SAME_TOPIC)

    assert len(story.keys) == duplicates.BANDS
    assert set(story.keys) & set(copy.keys)
    assert not set(story.keys) & set(other.keys)


@pytest.mark.parametrize("text", [body(SHORT), "", "one two three " * 6])
def test_a_body_too_short_to_tell_gets_no_fingerprint(text):
    assert not duplicates.fingerprint(text)
    assert duplicates.fingerprint(text).keys == ()


def test_words_are_casefolded_and_punctuation_ignored():
    assert duplicates.fingerprint(body(STORY).upper().replace(".", " ;")).keys == fingerprint(STORY).keys


def test_band_keys_fit_a_signed_64_bit_column_and_are_stable():
    keys = fingerprint(STORY).keys

    assert all(-(2**63) <= key < 2**63 for key in keys)
    # The same in every process and release: the archive stores them, and compares new bodies to them.
    assert keys == (
        -2972590183386800263,
        7022180085008296821,
        8909784893603904161,
        -2266017041666398205,
        -9096265395032009783,
        -9146371088243802085,
        1502719287036856952,
        8847365549566633390,
        4404062214086995991,
        7026196246784362064,
    )


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8")) | st.text(alphabet=st.characters(max_codepoint=127)))
def test_word_hashes_are_the_crcs_of_the_words_however_they_are_cut(text):
    expected = [zlib.crc32(word.encode()) for word in duplicates.words(text)]
    assert duplicates.word_hashes(text).tolist() == expected


@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1)))
def test_shingles_are_sorted_without_repeats_as_numpy_would(values):
    array = np.array(values, dtype=np.uint64)
    assert duplicates._unique(array).tolist() == np.unique(array).tolist()


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [((1, 2, 3), (1, 2, 3), 1.0), ((1, 2, 3), (4, 5), 0.0), ((1, 2, 3, 4), (3, 4, 5, 6), 2 / 6), ((), (), 0.0)],
)
def test_jaccard_is_exact(first, second, expected):
    import numpy as np

    as_array = lambda values: np.array(values, dtype=np.uint64)  # noqa: E731
    assert duplicates.jaccard(as_array(first), as_array(second)) == pytest.approx(expected)


def test_a_duplicate_reason_has_its_weight():
    reason = deduplication.duplicate_reason(12)

    assert reason == "possible duplicate of #12"
    assert triage.reason_weight(reason) == triage.DUPLICATE_WEIGHT == 75
    assert triage.review_priority([reason, "no author"]) == 75 + 20
    assert not triage.is_duplicate_reason("possible duplicate of #")


@pytest.mark.django_db
class TestServices:
    def test_flagging_makes_a_draft_for_review_linked_to_its_original(self):
        original = ArticleFactory(status=Article.Status.PUBLISHED, body=body(STORY))
        copy = ArticleFactory(status=Article.Status.PUBLISHED, body=body(COPY), review_reasons=["no author"])

        flagged = deduplication.flag_duplicate(article=copy, original=original)

        flagged.refresh_from_db()
        assert flagged.status == Article.Status.DRAFT
        assert flagged.duplicate_of == original
        assert flagged.needs_review is True
        assert flagged.review_reasons == ["no author", f"possible duplicate of #{original.pk}"]
        assert flagged.review_priority == 20 + 75
        assert list(original.duplicates.all()) == [flagged]
        assert flagged.history.first().history_change_reason == f"possible duplicate of #{original.pk}"

    def test_an_article_is_no_duplicate_of_itself(self):
        article = ArticleFactory()
        with pytest.raises(ValueError, match="itself"):
            deduplication.flag_duplicate(article=article, original=article)

    @pytest.mark.parametrize(
        ("keep_both", "status", "linked"),
        [(True, Article.Status.PUBLISHED, False), (False, Article.Status.WITHDRAWN, True)],
    )
    def test_resolving_keeps_both_or_withdraws_the_copy(self, keep_both, status, linked, django_user_model):
        """
        GIVEN a copy flagged as a possible duplicate
        WHEN an editor keeps both, or withdraws the copy
        THEN the reason goes and the article leaves the queue; kept: published and unlinked, withdrawn: linked
        """
        user = django_user_model.objects.create_user("editor")
        original = ArticleFactory(status=Article.Status.PUBLISHED, body=body(STORY))
        copy = deduplication.flag_duplicate(article=ArticleFactory(body=body(COPY)), original=original)

        resolved = deduplication.resolve_duplicate(article=copy, keep_both=keep_both, user=user)

        resolved.refresh_from_db()
        assert resolved.status == status
        assert (resolved.duplicate_of_id == original.pk) is linked
        assert (resolved.needs_review, resolved.review_reasons, resolved.review_priority) == (False, [], 0)
        assert resolved.history.first().history_user == user

    def test_resolving_an_article_not_flagged_is_refused(self):
        with pytest.raises(ValueError, match="not flagged"):
            deduplication.resolve_duplicate(article=ArticleFactory(), keep_both=True)

    def test_deleting_an_article_deletes_its_fingerprints(self):
        article = ArticleFactory(body=body(STORY))
        deduplication.refresh_fingerprints(article=article)
        assert ArticleFingerprint.objects.filter(article=article).count() == duplicates.BANDS

        article.delete()

        assert not ArticleFingerprint.objects.exists()
