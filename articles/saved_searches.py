"""Saved searches: create, change and delete a user's followed article-list query (the API and the admin).

A saved query is an article-list query string, checked as the list checks it
(the list's filters and ``q`` syntax, in the owner's view of the archive) and kept
normalised: keys sorted, blank values dropped, and the parameters that only say
how to show a page (paging, ordering, format, fields) left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from articles import webhook_targets
from articles.api.filters import ArticleFilter
from articles.api.search_filters import SEARCH_PARAM, SavedQueryError, saved_query
from articles.models import SavedSearch

if TYPE_CHECKING:
    from django.contrib.auth.models import User

QUERY_FIELD = "query"
# How a page is shown, not which articles match: dropped from a saved query.
PRESENTATION_PARAMETERS = frozenset(
    {"page", "page_size", "page_mode", "cursor", "ordering", "seed", "format", "fields"}
)
MAX_QUERY_CHARS = SavedSearch._meta.get_field("query").max_length or 2000


@dataclass(frozen=True)
class SavedSearchFields:
    """What an owner chooses of a saved search, checked (the query normalised)."""

    name: str
    query: str
    email_digest: bool
    webhook_url: str


def query_parameters() -> frozenset[str]:
    """Return the parameters a saved query may hold: the article list's filters and ``q``."""
    return frozenset({*ArticleFilter.base_filters, SEARCH_PARAM})


def normalise_query(*, query: str, owner: User) -> str:
    """Return ``query`` (an article-list query string) normalised; raise ValidationError naming a bad parameter."""
    pairs = [(key, value.strip()) for key, value in parse_qsl(query.strip().lstrip("?"), keep_blank_values=True)]
    pairs = [(key, value) for key, value in pairs if value and key not in PRESENTATION_PARAMETERS]
    if unknown := sorted({key for key, _ in pairs} - query_parameters()):
        raise ValidationError(
            {
                QUERY_FIELD: f"Unknown parameter(s): {', '.join(unknown)}. A saved query takes the article list's "
                f"filters and {SEARCH_PARAM}."
            }
        )
    check_filters(pairs, owner=owner)
    normalised = urlencode(sorted(pairs, key=lambda pair: pair[0]))
    if len(normalised) > MAX_QUERY_CHARS:
        raise ValidationError({QUERY_FIELD: f"A saved query holds at most {MAX_QUERY_CHARS} characters."})
    return normalised


def check_filters(pairs: list[tuple[str, str]], *, owner: User) -> None:
    """Raise ValidationError naming each parameter the article list would refuse (as the owner sees the archive)."""
    try:
        # The parser the matching uses: a query saved is a query matched.
        saved_query(urlencode(pairs), user=owner)
    except SavedQueryError as exc:
        messages = [f"{name}: {' '.join(texts)}" for name, texts in exc.errors.items()]
        raise ValidationError({QUERY_FIELD: messages}) from None


def name_taken(*, owner: User, name: str, pk: int | None) -> bool:
    """Tell whether ``owner`` has another saved search (not ``pk``) named ``name``."""
    others = SavedSearch.objects.filter(owner=owner, name=name)
    return (others if pk is None else others.exclude(pk=pk)).exists()


def checked(
    *, owner: User, name: str, query: str, email_digest: bool, webhook_url: str, pk: int | None = None
) -> SavedSearchFields:
    """Return the owner's choices checked and normalised; raise ValidationError naming each refused field."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = ["Give the saved search a name."]
    elif name_taken(owner=owner, name=name, pk=pk):
        errors["name"] = [f"You already have a saved search named {name!r}."]
    try:
        query = normalise_query(query=query, owner=owner)
    except ValidationError as exc:
        errors |= exc.message_dict
    if webhook_url:
        try:
            webhook_targets.check_target(webhook_url)
        except ValidationError as exc:
            errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    return SavedSearchFields(name=name, query=query, email_digest=email_digest, webhook_url=webhook_url)


def _save(saved: SavedSearch) -> SavedSearch:
    """Save ``saved`` (its fields checked), answering a name taken meanwhile as the check would."""
    saved.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            saved.save()
    except IntegrityError as exc:
        # Another request took the name between the check and the insert.
        raise ValidationError({"name": [f"You already have a saved search named {saved.name!r}."]}) from exc
    return saved


@transaction.atomic
def create_saved_search(
    *, owner: User, name: str, query: str = "", email_digest: bool = True, webhook_url: str = ""
) -> SavedSearch:
    """Save a search for ``owner``; raise ValidationError for a bad query, a name taken or a refused webhook."""
    fields = checked(owner=owner, name=name, query=query, email_digest=email_digest, webhook_url=webhook_url)
    return _save(SavedSearch(owner=owner, **fields.__dict__))


@transaction.atomic
def update_saved_search(
    *,
    saved_search: SavedSearch,
    name: str | None = None,
    query: str | None = None,
    email_digest: bool | None = None,
    webhook_url: str | None = None,
    webhook_paused: bool | None = None,
) -> SavedSearch:
    """Change what is given of ``saved_search`` (None: unchanged); ``webhook_paused=False`` resumes deliveries."""
    if webhook_paused:
        raise ValidationError({"webhook_paused": ["Deliveries are paused by the archive when they keep failing."]})
    # An unchanged webhook is not checked again: where its host points now is the sender's to check.
    new_webhook = webhook_url is not None and webhook_url != saved_search.webhook_url
    fields = checked(
        owner=saved_search.owner,
        name=saved_search.name if name is None else name,
        query=saved_search.query if query is None else query,
        email_digest=saved_search.email_digest if email_digest is None else email_digest,
        webhook_url=webhook_url if new_webhook and webhook_url else "",
        pk=saved_search.pk,
    )
    saved_search.name, saved_search.query, saved_search.email_digest = fields.name, fields.query, fields.email_digest
    if new_webhook:
        saved_search.webhook_url = fields.webhook_url
    if webhook_paused is False:
        saved_search.webhook_paused_at = None
    return _save(saved_search)


def delete_saved_search(*, saved_search: SavedSearch) -> None:
    """Delete ``saved_search`` (its feed address stops answering)."""
    delete_saved_searches(saved_searches=SavedSearch.objects.filter(pk=saved_search.pk))


@transaction.atomic
def delete_saved_searches(*, saved_searches: QuerySet[SavedSearch]) -> int:
    """Delete ``saved_searches`` with their deliveries (their feed addresses stop answering); return how many."""
    _, by_model = saved_searches.delete()
    return by_model.get(SavedSearch._meta.label, 0)
