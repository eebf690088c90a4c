"""Search stems each article in its language (run it on SQLite and on PostgreSQL: the index serves both)."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.management import CommandError, call_command

from articles import editing, search_index
from articles.importing import import_paths, reparse_article
from articles.models import Article
from articles.search import SearchFilters, analyse, search
from tests.search.conftest import found, make

pytestmark = pytest.mark.django_db

MARATHON = (
    "Miles de personas corren por las calles de Madrid en el maratón del domingo.\n\n"
    "Los organizadores explicaron que la salida se retrasó media hora."
)


@pytest.fixture
def spanish(filler) -> Article:
    return make(MARATHON, title="Maratón de Madrid", language="es")


@pytest.fixture
def english(filler) -> Article:
    return make("Thousands were running through the county during the marathon.", title="County marathon")


@pytest.mark.parametrize("q", ["corriendo", "correr", "corren", "calle", "organizador"])
def test_a_spanish_article_is_found_by_inflected_spanish_forms(spanish, english, q):
    assert found(q) == {spanish.pk}


@pytest.mark.parametrize("q", ["run", "runs", "counties", "marathons"])
def test_an_english_article_is_still_stemmed_in_english(spanish, english, q):
    assert found(q) == {english.pk}


def test_each_article_is_stemmed_in_its_own_language_only(filler):
    """GIVEN an English article about the universe and a Spanish one about a university
    WHEN searching for "universidad", which Spanish stems like English stems "universe" ("univers")
    THEN only the Spanish article matches: English text is not matched by a Spanish stem, nor the reverse.
    """
    universe = make("The universe is expanding.", title="Cosmology")
    university = make("La universidad abre sus puertas.", title="Educación", language="es")

    assert analyse("universidad", "spanish") == analyse("universe")
    assert found("universidad") == {university.pk}
    assert found("universe") == {universe.pk}


def test_phrase_exclusion_and_or_work_in_every_language(spanish, english):
    assert found('"corren por las calles"') == {spanish.pk}
    assert found('"calles por corren"') == set()
    assert found("maratón -corriendo") == set()
    assert found("marathon OR corriendo") == {spanish.pk, english.pk}
    assert found("maraton -running") == {spanish.pk}


def test_snippets_mark_the_matches_in_the_articles_language(spanish, english):
    (article,) = search(Article.objects.all(), "corriendo")

    assert "<mark>corren</mark>" in article.snippet
    (other,) = search(Article.objects.all(), "runs")
    assert "<mark>running</mark>" in other.snippet


def test_counts_and_the_language_filter_come_from_the_index(spanish, english):
    everything = search(Article.objects.all(), "marathon OR maratón")

    assert everything.count() == 2
    assert search(Article.objects.all(), "marathon OR maratón", filters=SearchFilters(languages=("es",))).count() == 1
    unknown = search(Article.objects.all(), None, filters=SearchFilters(languages=("",)))
    assert english.pk in {a.pk for a in unknown[:50]}
    assert spanish.pk not in {a.pk for a in unknown[:50]}


def test_unknown_and_unstemmed_languages_use_english_fields(filler):
    """GIVEN an article of unknown language and one in Polish (no stemmer)
    THEN both are indexed in the default (English) fields and found by English stemming.
    """
    unknown = make("The detainers were released.", title="Short")
    polish = make("Policja zatrzymała dwóch mężczyzn w centrum miasta.", title="Policja", language="pl")

    assert found("detainer") == {unknown.pk}
    assert found("zatrzymała") == {polish.pk}
    assert search_index.stemmer_for("pl") == search_index.stemmer_for("") == "english"


def test_an_editors_language_correction_restems_the_article(filler, django_user_model):
    """GIVEN a Spanish article the detector could not tell (language unknown)
    WHEN an editor sets its language to Spanish through the editing service
    THEN it is indexed again and found by Spanish inflections.
    """
    article = make(MARATHON, title="Maratón")
    assert found("corriendo") == set()

    editing.update_article(article=article, data={"language": "es"}, reason="language")

    assert found("corriendo") == {article.pk}
    report = search_index.check_index()
    assert report.divergent == []


def test_import_detects_the_language_and_reparse_keeps_it_current(tmp_path):
    """GIVEN a Spanish seed file
    WHEN it is imported
    THEN the article's language is Spanish and it is found by Spanish inflections;
    AND after an unchecked change of the column a re-parse detects it again.
    """
    source = tmp_path / "es.txt"
    source.write_text(
        "Los corredores llenan las calles de Madrid\n\nPor Lucía Fernández\n\n" + MARATHON + "\n\n© 2024 Diario S.A.\n",
        encoding="utf-8",
    )
    import_paths(paths=[tmp_path])
    article = Article.objects.get()

    assert article.language == "es"
    assert article.parsed["language"] == "es"
    assert found("corriendo") == {article.pk}

    Article.objects.filter(pk=article.pk).update(language="")
    reparse_article(article=article)
    article.refresh_from_db()
    assert article.language == "es"


def test_an_index_of_an_older_schema_is_reported_and_rebuilt(spanish, settings):
    """GIVEN a live index built before schema versions were recorded
    THEN opening it fails with a clear SearchIndexOutdated and ``manage.py check`` warns;
    AND ``rebuild_search_index`` makes it searchable again.
    """
    assert found("corriendo") == {spanish.pk}
    directory = (search_index.index_root() / search_index.CURRENT).resolve()
    (directory / search_index.VERSION_FILE).unlink()
    search_index.reset_engine()

    with pytest.raises(search_index.SearchIndexOutdated, match="rebuild_search_index"):
        search_index.current_index()
    warnings = [m for m in checks.run_checks() if m.id == "articles.W001"]
    assert len(warnings) == 1
    with pytest.raises(CommandError, match="rebuild_search_index"):
        call_command("check_search_index")

    assert search_index.rebuild() == Article.objects.count()
    assert found("corriendo") == {spanish.pk}
    assert [m for m in checks.run_checks() if m.id == "articles.W001"] == []
