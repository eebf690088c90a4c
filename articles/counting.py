"""Counts that stay cheap on a large table: exact up to a cap, then reported as at least the cap.

One mechanism for the API's numbered pages and the admin's change list. A
result set that is not a queryset (a search engine's hits, say) counts itself:
give it a ``capped_count(*, cap)`` method returning the same ``(count, exact)``
pair, and every paginator here uses it instead of SQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

if TYPE_CHECKING:
    from django.core.paginator import _SupportsPagination


def capped_count(rows: Any, *, cap: int) -> tuple[int, bool]:
    """Return ``(count, exact)``: the exact count when it is at most ``cap``, else ``(cap, False)``.

    A queryset is counted by ``SELECT COUNT(*) FROM (SELECT pk ... LIMIT cap + 1)``
    with no ordering, joins for display or annotations, so the database stops
    after ``cap + 1`` rows of the narrowest index that serves the filters.
    """
    own = getattr(rows, "capped_count", None)
    if callable(own):
        result: tuple[int, bool] = own(cap=cap)
        return result
    counted = rows.order_by().values("pk")[: cap + 1].count() if isinstance(rows, QuerySet) else len(rows)
    return (counted, True) if counted <= cap else (cap, False)


_T = TypeVar("_T")


class CappedCountPaginator(Paginator[_T]):
    """A paginator that counts at most ``cap`` rows; ``count_is_exact`` tells whether there are more."""

    def __init__(
        self, object_list: _SupportsPagination[_T], per_page: int, *args: Any, cap: int, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        self.cap = cap
        self.count_is_exact = True

    @cached_property
    def count(self) -> int:
        count, self.count_is_exact = capped_count(self.object_list, cap=self.cap)
        return count
