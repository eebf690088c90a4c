from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Archive"

    def ready(self) -> None:
        from articles import imported_history as history
        from articles.search import repair_search_index

        # An imported article has no history row until its first change records what was imported.
        history.connect()

        # SQLite drops the search triggers whenever a migration rebuilds the articles table.
        post_migrate.connect(repair_search_index, sender=self, dispatch_uid="articles_repair_search_index")
