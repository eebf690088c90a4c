"""The provenance panel of the article form: raw source beside the parsed fields, key, checksum, run, warnings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from articles.models import Article
from tests.admin.conftest import import_seed
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def panel(response) -> str:
    content = response.content.decode()
    start = content.index('<fieldset class="module aligned" id="provenance">')
    return " ".join(content[start : content.index("</fieldset>", start)].split())


@pytest.fixture
def imported(db) -> Article:
    """An article imported from a seed without an author, so the parser warned."""
    return import_seed("desk/no-author.txt", title="Bridge vote delayed", subtitle="Council adjourns", author=None)


def test_panel_shows_key_checksum_run_and_warnings(editor_client, imported):
    response = editor_client.get(change_url(imported))

    assert response.status_code == 200
    html = panel(response)
    run_url = reverse("admin:articles_importrun_change", args=[imported.import_run_id])
    assert '<dd id="provenance-source-key">desk/no-author.txt</dd>' in html
    assert f"<code>{imported.content_sha256}</code>" in html
    assert f'<a href="{run_url}">{imported.import_run}</a>' in html
    assert '<dd id="provenance-warnings"><ul><li>no author</li></ul></dd>' in html


def test_raw_source_is_beside_the_parsed_fields(editor_client, imported):
    """The raw source and the parsed fields are the two columns of one grid."""
    html = panel(editor_client.get(change_url(imported)))

    columns = html[html.index('<div class="form-row archive-columns">') :]
    raw, parsed = columns.index('id="provenance-raw"'), columns.index('id="provenance-parsed"')
    assert raw < parsed
    assert "© 2024 Blaze Media LLC. All rights reserved." in columns[raw:parsed]
    assert '<th scope="row">Title</th><td>Bridge vote delayed</td><td>Bridge vote delayed</td>' in columns[parsed:]
    assert '<th scope="row">Publisher</th><td>Blaze Media LLC</td><td>Blaze Media LLC</td>' in columns[parsed:]


def test_fields_changed_since_the_import_are_marked(editor_client, imported):
    imported.subtitle = "Council adjourns until May"
    imported.body += "\n\nA correction."
    imported.save()

    html = panel(editor_client.get(change_url(imported)))

    assert (
        '<tr class="archive-edited" title="changed since the import"> <th scope="row">Subtitle</th>'
        "<td>Council adjourns</td><td>Council adjourns until May</td>"
    ) in html
    assert '<th scope="row">Body</th><td></td><td>edited since the import</td>' in html
    assert '<tr> <th scope="row">Title</th>' in html  # unchanged: not marked


def test_an_article_without_a_recorded_parse_says_so(editor_client):
    article = ArticleFactory(parsed={})

    html = panel(editor_client.get(change_url(article)))

    assert "No parse recorded for this article." in html
    assert '<dd id="provenance-import-run">—</dd>' in html


def test_run_link_needs_permission_to_view_runs(client, django_user_model, imported):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)

    html = panel(client.get(change_url(imported)))

    assert f'<dd id="provenance-import-run">{imported.import_run}</dd>' in html


def test_provenance_cannot_be_posted(editor_client, imported):
    """The form has none of the provenance fields: the importer alone writes them."""
    form = editor_client.get(change_url(imported)).context["adminform"].form

    assert set(form.fields).isdisjoint(
        {"raw_text", "parsed", "source_key", "content_sha256", "import_run", "import_conflicts", "review_reasons"}
    )
