from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Archive"

    def ready(self) -> None:
        import articles.lookups  # noqa: F401  (registers the field__any_of lookup)
        from articles import imported_history as history
        from articles import search_index, takedowns
        from articles.models import Article, ArticleAuthor

        # An imported article has no history row until its first change records what was imported.
        history.connect()
        # An index built for an older schema cannot be searched until it is rebuilt.
        checks.register(search_index.check_schema)
        # SQLite drops the outbox triggers whenever a migration rebuilds the articles table.
        post_migrate.connect(search_index.repair_triggers, sender=self, dispatch_uid="articles_repair_search_triggers")
        # The triggers queue every change; these drain the queue once a save or delete commits.
        for model in (Article, ArticleAuthor):
            for event, signal in (("save", post_save), ("delete", post_delete)):
                uid = f"articles_search_{model.__name__}_{event}"
                signal.connect(search_index.sync_on_commit, sender=model, dispatch_uid=uid)
        # Whatever deletes articles (the admin's page or action, a queryset, a cascade, the shell), their
        # consumers are told, all the articles of one delete() at once: pre_delete gathers them, the first
        # post_delete records them (articles.takedowns).
        pre_delete.connect(takedowns.collect_deletion, sender=Article, dispatch_uid="articles_takedown_collect")
        post_delete.connect(takedowns.record_deletion, sender=Article, dispatch_uid="articles_takedown_on_delete")
        # A withdrawal or deletion is posted to the webhooks that delivered the article (saved searches).
        from articles.alerts import hooks as alerts

        takedowns.recorded.connect(alerts.withdrawn_on_takedowns, dispatch_uid="articles_alerts_withdrawn")
