"""Pagination styles of the API."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages with a client-chosen ``page_size`` of at most 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
