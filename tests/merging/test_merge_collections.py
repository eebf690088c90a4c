"""Merging publishers keeps the collections they were in: the survivor takes their place, and an undo gives it back."""

from __future__ import annotations

import pytest

from articles import merging
from articles.models import Collection
from tests.factories import PublisherFactory

pytestmark = pytest.mark.django_db


def members(slug: str) -> set[int]:
    return set(Collection.objects.get(slug=slug).publishers.values_list("pk", flat=True))


@pytest.fixture
def publishers():
    """Survivor S, merged X and Y, and another publisher O; collections a = {X, O}, b = {X, S}, c = {Y}, d = {O}."""
    s, x, y, o = (PublisherFactory(name=name) for name in ("S", "X", "Y", "O"))
    for slug, member in {"a": [x, o], "b": [x, s], "c": [y], "d": [o]}.items():
        Collection.objects.create(name=slug.upper(), slug=slug).publishers.set(member)
    return {"s": s, "x": x, "y": y, "o": o}


def test_the_survivor_takes_the_merged_publishers_place(editor, publishers):
    """GIVEN collections holding X and Y WHEN X and Y are merged into S THEN S is in each of them, once."""
    s, x, y, o = (publishers[k] for k in "sxyo")

    merging.merge_entities(survivor=s, others=[x, y], user=editor)

    assert {slug: members(slug) for slug in "abcd"} == {"a": {o.pk, s.pk}, "b": {s.pk}, "c": {s.pk}, "d": {o.pk}}
    newest = Collection.objects.get(slug="a").history.order_by("-history_date", "-history_id").first()
    assert newest.history_user == editor
    assert newest.history_change_reason.startswith("merged into S")
    assert {row.publisher_id for row in newest.publishers.all()} == {o.pk, s.pk}


def test_undo_puts_the_collections_back(editor, publishers):
    """GIVEN X and Y merged into S WHEN the merge is undone THEN every collection holds what it held before."""
    s, x, y, o = (publishers[k] for k in "sxyo")
    merge = merging.merge_entities(survivor=s, others=[x, y], user=editor)

    merging.undo_merge(merge=merge, user=editor)

    expected = {"a": {x.pk, o.pk}, "b": {x.pk, s.pk}, "c": {y.pk}, "d": {o.pk}}
    assert {slug: members(slug) for slug in "abcd"} == expected


def test_undo_leaves_a_collection_deleted_since_deleted(editor, publishers):
    merge = merging.merge_entities(survivor=publishers["s"], others=[publishers["x"]], user=editor)
    Collection.objects.filter(slug="a").delete()

    merging.undo_merge(merge=merge, user=editor)

    assert sorted(Collection.objects.values_list("slug", flat=True)) == ["b", "c", "d"]
    assert members("b") == {publishers["x"].pk, publishers["s"].pk}
