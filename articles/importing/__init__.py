"""The import service: seed files in, articles with their authors and publisher out.

The command, the admin upload and the API all call these functions. Collaborators,
one job each: ``sources`` (reading sources, lazily), ``records`` (parsing them;
``articles.parsing`` stays pure), ``names`` (resolving authors and publishers,
aliases included), ``defaults`` (the publisher and author an editor supplies
for files that lack them), ``writing`` (bulk writes per database backend), ``applying``
(the article a record becomes, a re-import's update, a re-parse), ``batches``
(one batch against the archive) and ``runs`` (a whole run, its counters and status).

An article an import creates gets no history row: its run and provenance
(``import_run``, ``raw_text``, ``parsed``) record it, and its first later change
writes its imported state to the history first (see ``articles.imported_history``).
"""

from articles.importing.applying import reparse_article
from articles.importing.batches import FileOutcome
from articles.importing.defaults import ImportDefaults, InvalidDefaults
from articles.importing.records import CURATED_FIELDS, parsed_snapshot
from articles.importing.reports import ImportReport, iter_outcome_lines, outcome_line
from articles.importing.runs import (
    ANALYZE_AFTER,
    BATCH_SIZE,
    OnOutcome,
    import_file,
    import_paths,
    import_sources,
    recount_run,
    run_status,
    settle_interrupted_runs,
    start_run,
    stored_path,
)
from articles.importing.sources import (
    SEED_SUFFIX,
    Source,
    SourceNotFound,
    SourceRejected,
    bytes_source,
    collect_sources,
    file_source,
    normalize_key,
    printable,
    rejected_source,
)
from articles.naming import name_slug

__all__ = [
    "ANALYZE_AFTER",
    "BATCH_SIZE",
    "CURATED_FIELDS",
    "SEED_SUFFIX",
    "FileOutcome",
    "ImportDefaults",
    "ImportReport",
    "InvalidDefaults",
    "OnOutcome",
    "Source",
    "SourceNotFound",
    "SourceRejected",
    "bytes_source",
    "collect_sources",
    "file_source",
    "import_file",
    "import_paths",
    "import_sources",
    "iter_outcome_lines",
    "name_slug",
    "normalize_key",
    "outcome_line",
    "parsed_snapshot",
    "printable",
    "recount_run",
    "rejected_source",
    "reparse_article",
    "run_status",
    "settle_interrupted_runs",
    "start_run",
    "stored_path",
]
