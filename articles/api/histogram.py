"""``/api/v1/articles/histogram/``: the matches of the list's filters and ``q`` per day, week, month or year."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from articles import histogram
from articles.api.search_filters import FILTERS_ATTRIBUTE

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

INTERVAL_PARAM = "interval"
BY_PARAM = "by"
BY_CHOICES = ("publisher",)
DESCRIPTION = (
    "How the articles matching the same filters and `q` as the list spread over time: one bucket per "
    "`interval` (UTC; weeks start on Monday) of their `date` (the original publication date, else the "
    "archive's), from the first to the last bucket holding any article you may see (within "
    "`published_after` / `published_before`), empty buckets included. `count` is the matching articles in "
    "the bucket, `total` every article you may see in it (the same visibility, without the filters and `q`), "
    f"`ratio` their quotient to {histogram.RATIO_DIGITS} decimals (0 when `total` is 0); `undated` counts "
    "the matches with no date at all (drafts). The counts plus `undated` add up to the list's `count`. "
    f"At most {histogram.MAX_BUCKETS:,} buckets: more is a 400 asking for a coarser interval. "
    f"`by=publisher` splits each bucket over the {histogram.TOP_PUBLISHERS} publishers with the most "
    "matches (the top-level `publishers`, ties by name): each bucket's `publishers` gives their counts in "
    "that order and `other` the rest (other publishers and articles with none)."
)
PARAMETERS = [
    OpenApiParameter(
        INTERVAL_PARAM,
        {"type": "string", "enum": list(histogram.INTERVALS), "default": histogram.DEFAULT_INTERVAL},
        description=f"The length of a bucket (default `{histogram.DEFAULT_INTERVAL}`).",
    ),
    OpenApiParameter(
        BY_PARAM,
        {"type": "string", "enum": list(BY_CHOICES)},
        description=f"`publisher`: split each bucket over the {histogram.TOP_PUBLISHERS} publishers with the most "
        "matches and the rest (`other`).",
    ),
]


class PublisherCountSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    count = serializers.IntegerField(help_text="The publisher's matching articles in the bucket.")


class NamedPublisherCountSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="The publisher's matching articles, undated ones included.")


class BucketSerializer(serializers.Serializer[Any]):
    start = serializers.DateField(help_text="The bucket's first day (UTC).")
    count = serializers.IntegerField(help_text="Matching articles dated in the bucket.")
    total = serializers.IntegerField(help_text="Every article you may see dated in the bucket (no filters, no `q`).")
    ratio = serializers.FloatField(help_text=f"`count / total` to {histogram.RATIO_DIGITS} decimals; 0 when empty.")
    publishers = PublisherCountSerializer(
        many=True, required=False, help_text="With `by=publisher`: the top publishers' counts, in the top order."
    )
    other = serializers.IntegerField(
        required=False, help_text="With `by=publisher`: the bucket's other matches (other publishers or none)."
    )


class HistogramSerializer(serializers.Serializer[Any]):
    """The histogram of the articles matching a request (documentation only: the service builds the data)."""

    interval = serializers.ChoiceField(choices=histogram.INTERVALS)
    buckets = BucketSerializer(many=True)
    undated = serializers.IntegerField(help_text="Matching articles with no date (in no bucket).")
    publishers = NamedPublisherCountSerializer(
        many=True,
        required=False,
        help_text=f"With `by=publisher`: the {histogram.TOP_PUBLISHERS} publishers with "
        "the most matches, most first (ties by name, then slug).",
    )


def parse_choice(params: Mapping[str, str], name: str, choices: Sequence[str], default: str | None) -> str | None:
    """Return the value of ``name`` if it is one of ``choices`` (``default`` when absent or blank), else a 400."""
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if raw not in choices:
        raise exceptions.ValidationError({name: [f"'{raw[:100]}' is not one of: {', '.join(choices)}."]})
    return raw


def histogram_response(view: GenericAPIView[Any], request: Request) -> Response:
    """Answer the histogram of what ``view``'s filters and ``q`` match, against what the requester may see."""
    interval = parse_choice(request.query_params, INTERVAL_PARAM, histogram.INTERVALS, histogram.DEFAULT_INTERVAL)
    by = parse_choice(request.query_params, BY_PARAM, BY_CHOICES, None)
    # The view's own queryset is the requester's visibility; its backends add the filters and q.
    visible = view.get_queryset()
    matches = view.filter_queryset(visible)
    dates = getattr(request, FILTERS_ATTRIBUTE, {})
    try:
        data = histogram.histogram(
            matches=matches,
            visible=visible,
            interval=interval,  # type: ignore[arg-type]  # one of INTERVALS, checked above
            by_publisher=by == "publisher",
            after=dates.get("published_after"),
            before=dates.get("published_before"),
        )
    except histogram.TooManyBuckets as exc:
        raise exceptions.ValidationError({INTERVAL_PARAM: [str(exc)]}) from None
    return Response(data)
