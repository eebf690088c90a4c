"""Editors' writes through the API: mixed into the read viewsets of ``views.py``.

Who may write is ``DjangoModelPermissionsOrAnonReadOnly`` (the project default):
POST needs the model's add permission, PATCH its change permission, DELETE its
delete permission; reads stay as the read viewsets define them. The changes
themselves are made by ``articles.editing``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from articles import editing
from articles.api import querysets
from articles.api.conditional import IF_MATCH_PARAMETER, IF_UNMODIFIED_SINCE_PARAMETER, validator_headers
from articles.api.serializers import ArticleDetailSerializer
from articles.api.write_serializers import ArticleWriteSerializer, NamedWriteSerializer
from articles.history import signed_in
from articles.models import Article, NamedEntity

if TYPE_CHECKING:
    from articles.api.conditional import ConditionalRetrieveMixin

    # As in articles.api.bases: to mypy the write mixins derive from the read viewset they are mixed into
    # (its conditional GET included), at run time from ``object``.
    WriteViewSetBase = ConditionalRetrieveMixin[Any]
else:
    WriteViewSetBase = object

WRITE_ACTIONS = frozenset({"create", "partial_update", "destroy"})
API_REASON = "edited through the API"
CONDITIONAL_DESCRIPTION = (
    "To make sure no one else's change is overwritten, send the `ETag` of your GET as `If-Match`: if the object "
    "changed since, the answer is 412 and nothing is saved. The answer carries the new `ETag`."
)


class Conflict(exceptions.APIException):
    """The request is valid but clashes with the archive's current state."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


@contextmanager
def service_errors() -> Iterator[None]:
    """Answer the editing services' refusals as API errors (400; 409 for a slug already taken), never a 500."""
    try:
        yield
    except editing.SlugTaken as exc:
        raise Conflict(" ".join(exc.messages)) from exc
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from exc
    except editing.InUse as exc:
        raise Conflict(str(exc)) from exc


class WriteMixin(WriteViewSetBase):
    """What the write actions share: their own serializer, and every object within reach.

    The read viewsets choose serializers and querysets by action in their own
    ``get_serializer_class()`` and ``get_queryset()``; these hooks sit one level
    up (``get_serializer()``, ``get_object()``), so neither has to know of the other.
    """

    write_serializer_class: type[serializers.Serializer[Any]]
    editable_model: type[Model]

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer[Any]:
        # Also what the browsable API builds its forms from, so they show what may be sent.
        if self.action in {"create", "partial_update"}:
            kwargs.setdefault("context", self.get_serializer_context())
            return self.write_serializer_class(*args, **kwargs)
        return super().get_serializer(*args, **kwargs)

    def get_object(self) -> Model:
        if self.action not in WRITE_ACTIONS:
            read: Model = super().get_object()
            return read
        # Editors reach drafts and withdrawn articles too, staff or not, and the
        # list's query-string filters have no say in which object a write changes.
        lookup = self.lookup_url_kwarg or self.lookup_field
        obj = get_object_or_404(self.editable_model._default_manager.all(), **{self.lookup_field: self.kwargs[lookup]})
        self.check_object_permissions(self.request, obj)
        return obj

    def validated_change(self, request: Request) -> serializers.BaseSerializer[Any]:
        """Return the write serializer of the object's PATCH, its input validated (a 400 otherwise)."""
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return serializer


class ArticleWriteMixin(WriteMixin):
    """PATCH for editors; no PUT, POST or DELETE."""

    write_serializer_class = ArticleWriteSerializer
    editable_model = Article

    @extend_schema(
        summary="Edit an article",
        description=(
            "Change any of an article's title, subtitle, body, status, published_at, original_published_at, "
            "original_updated_at, embargo_until (null lifts the embargo), authors (ids, in byline order) and "
            "publisher (id or null). Needs the "
            "`articles.change_article` permission (the Editors group has it). Articles come from the importer: "
            "they cannot be created or deleted through the API. " + CONDITIONAL_DESCRIPTION
        ),
        parameters=[IF_MATCH_PARAMETER, IF_UNMODIFIED_SINCE_PARAMETER],
        request=ArticleWriteSerializer,
        responses={200: ArticleDetailSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.validated_change(request)
        assert isinstance(serializer.instance, Article)  # validated_change() built it on get_object()
        with service_errors():
            article = editing.update_article(
                article=serializer.instance,
                data=serializer.validated_data,
                user=signed_in(request.user),
                reason=API_REASON,
                precondition=self.check_write_preconditions,
            )
        shown = (
            Article.objects.select_related("publisher")
            .prefetch_related(querysets.bylines_prefetch())
            .defer("raw_text", "parsed")
            .get(pk=article.pk)
        )
        data = ArticleDetailSerializer(shown, context=self.get_serializer_context()).data
        return Response(data, headers=validator_headers(*self.current_validators()))


class NamedWriteMixin(WriteMixin):
    """POST, PATCH and DELETE of authors or publishers, answered as a read of the object shows it.

    The viewset names the model through ``write_serializer_class``; its
    ``serializer_class`` and ``get_queryset()`` give the answer's shape and
    article count. ``named_write_schema`` documents the actions.
    """

    write_serializer_class: type[NamedWriteSerializer]
    # What the answers are serialized with (a read of the object): every such viewset names one.
    serializer_class: type[serializers.Serializer[Any]]

    @property
    def editable_model(self) -> type[NamedEntity]:  # type: ignore[override]
        return self.write_serializer_class.Meta.model

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            obj = editing.create_named(
                model=self.editable_model, data=serializer.validated_data, user=signed_in(request.user)
            )
        # From the object, not the answer, which ?fields= may leave without its url.
        location = request.build_absolute_uri(obj.get_absolute_url())
        return Response(self._shown(obj), status=status.HTTP_201_CREATED, headers={"Location": location})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.validated_change(request)
        assert isinstance(serializer.instance, NamedEntity)  # validated_change() built it on get_object()
        with service_errors():
            obj = editing.update_named(
                obj=serializer.instance,
                data=serializer.validated_data,
                user=signed_in(request.user),
                precondition=self.check_write_preconditions,
            )
        return Response(self._shown(obj), headers=validator_headers(*self.current_validators()))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with service_errors():
            obj = self.get_object()
            assert isinstance(obj, NamedEntity)  # get_object() looks it up among the editable_model's rows
            editing.delete_named(obj=obj, user=signed_in(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _shown(self, obj: NamedEntity) -> dict[str, Any]:
        """Serialize ``obj`` as a read of it shows it, with its article count."""
        shown = self.get_queryset().get(pk=obj.pk)
        return self.serializer_class(shown, context=self.get_serializer_context()).data


_Viewset = TypeVar("_Viewset", bound=NamedWriteMixin)


def named_write_schema(*, noun: str, credits: str) -> Callable[[type[_Viewset]], type[_Viewset]]:
    """Document a viewset's author or publisher writes: ``noun`` is e.g. "an author", ``credits`` how articles refer."""

    def decorate(viewset: type[_Viewset]) -> type[_Viewset]:
        model = viewset.write_serializer_class.Meta.model
        name, permission = model._meta.verbose_name, f"`articles.{{}}_{model._meta.model_name}`"
        request, shown = viewset.write_serializer_class, viewset.serializer_class
        return extend_schema_view(
            create=extend_schema(
                summary=f"Create {noun}",
                description=f"Needs the {permission.format('add')} permission.",
                request=request,
                responses={201: shown},
            ),
            partial_update=extend_schema(
                summary=f"Edit {noun}",
                description=f"Needs the {permission.format('change')} permission. " + CONDITIONAL_DESCRIPTION,
                parameters=[IF_MATCH_PARAMETER],
                request=request,
                responses={200: shown},
            ),
            destroy=extend_schema(
                summary=f"Delete {noun}",
                description=f"Needs the {permission.format('delete')} permission. Refused with 409 while any article "
                f"{credits} the {name}: reassign the articles or merge the {name} first.",
                responses={204: None},
            ),
        )(viewset)

    return decorate
