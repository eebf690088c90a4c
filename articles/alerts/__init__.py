"""Saved-search alerts (issue 14): which new articles match which users' saved searches."""
