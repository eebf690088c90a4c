"""``/api/v1/articles/top-terms/``: the words that set the matches of the list's filters and ``q`` apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from articles import terms
from articles.api.params import parse_bounded_int
from articles.api.search_filters import SEARCH_PARAM
from articles.search import ArticleSearch

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

LIMIT_PARAM = "limit"
DESCRIPTION = (
    "The words that set the articles matching the same filters and `q` as the list apart from the whole "
    f"archive. A reproducible sample of at most {terms.SAMPLE_SIZE:,} matches (the same request gets the "
    "same sample and terms) is read; each body's words are counted once per article (`sample_count`), "
    "its language's stop words, one-letter words and the query's own words left out, and words of one "
    "stem counted together (shown as their most frequent form). The "
    f"{terms.CANDIDATES} most frequent are scored against their document frequency in the whole search "
    "index (`archive_count`: every status, drafts included) with Elasticsearch's JLH score: "
    "`(fg - bg) * fg / bg`, `fg` the share of the sample and `bg` the share of the archive holding the word. "
    "Only words commoner in the sample than in the archive are listed, best first. Without `q` the sample "
    "is of every article you may see (within the filters); no match gives `sample_size` 0 and no terms."
)
PARAMETERS = [
    OpenApiParameter(
        LIMIT_PARAM,
        {"type": "integer", "minimum": 1, "maximum": terms.MAX_LIMIT, "default": terms.DEFAULT_LIMIT},
        description=f"How many terms to list, 1 to {terms.MAX_LIMIT} (default {terms.DEFAULT_LIMIT}).",
    ),
]


class ScoredTermSerializer(serializers.Serializer[Any]):
    term = serializers.CharField(help_text="The word, lowercased, in its most frequent form in the sample.")
    score = serializers.FloatField(help_text="JLH significance: higher sets the matches further apart.")
    sample_count = serializers.IntegerField(help_text="Sampled articles whose body holds the word (any form).")
    archive_count = serializers.IntegerField(help_text="Articles of the whole index whose body holds it.")


class TopTermsSerializer(serializers.Serializer[Any]):
    """The significant terms of the articles matching a request (documentation only: the service builds the data)."""

    q = serializers.CharField(allow_null=True, help_text="The search, as given (null without one).")
    sample_size = serializers.IntegerField(help_text=f"Matches read and counted, at most {terms.SAMPLE_SIZE:,}.")
    matches = serializers.IntegerField(help_text="Every matching article.")
    terms = ScoredTermSerializer(many=True)


def top_terms_response(view: GenericAPIView[Any], request: Request) -> Response:
    """Answer the significant terms of what ``view``'s filters and ``q`` match."""
    limit = parse_bounded_int(
        request.query_params, LIMIT_PARAM, default=terms.DEFAULT_LIMIT, minimum=1, maximum=terms.MAX_LIMIT
    )
    # The view's own queryset is the requester's visibility; its backends add the filters and q.
    matches: object = view.filter_queryset(view.get_queryset())
    assert isinstance(matches, ArticleSearch), "search_without_q: the index answers the terms"
    q = request.query_params.get(SEARCH_PARAM, "").strip() or None
    return Response({"q": q, **terms.top_terms(matches=matches, limit=limit)})
