from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Archive"

    def ready(self) -> None:
        from articles.search import repair_search_index

        # SQLite drops the search triggers whenever a migration rebuilds the articles table.
        post_migrate.connect(repair_search_index, sender=self, dispatch_uid="articles_repair_search_index")
