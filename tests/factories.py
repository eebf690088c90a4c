"""factory-boy factories for the archive's models."""

from __future__ import annotations

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import slugify

from articles.models import Article, ArticleAuthor, Author, Publisher, SavedSearch


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher

    name = factory.Sequence(lambda n: f"Publisher {n} Media LLC")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author Number{n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    bio = factory.LazyAttribute(lambda o: f"{o.name} is a staff writer.")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article with a publisher and no authors (pass ``authors=[...]``)."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Headline number {n}")
    slug = factory.LazyAttribute(lambda o: f"{slugify(o.title)[:200]}-{o.content_sha256[:10]}")
    subtitle = "A one-line subtitle"
    body = "First paragraph of the story.\n\nSecond paragraph of the story."
    word_count = factory.LazyAttribute(lambda o: len(o.body.split()))
    image_credit = ""
    copyright_year = 2024
    publisher = factory.SubFactory(PublisherFactory)
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    source_key = factory.Sequence(lambda n: f"factory/{n:05d}.txt")
    raw_text = factory.LazyAttribute(lambda o: f"{o.title}\n\n{o.body}\n")
    content_sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.raw_text.encode()).hexdigest())
    source_encoding = "utf-8"

    @factory.post_generation
    def authors(self, create: bool, extracted, **kwargs) -> None:
        if not create or not extracted:
            return
        ArticleAuthor.objects.bulk_create(
            ArticleAuthor(article=self, author=author, position=i) for i, author in enumerate(extracted)
        )


class UserFactory(factory.django.DjangoModelFactory):
    """An ordinary (non-staff) user."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")


class SavedSearchFactory(factory.django.DjangoModelFactory):
    """A saved search without a webhook, its query already normalised (the service is not involved)."""

    class Meta:
        model = SavedSearch

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Saved search {n}")
    query = "q=otters"
