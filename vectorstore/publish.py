"""Making committed writes visible: the last steps of the one write protocol.

After an ingest, a removal, a rebuild or an import has committed its records, the read
index is brought to the committed state (:func:`~vectorstore.readindex.sync`: only the
articles committed since it last looked are read back, written as a small new segment;
from scratch for a new generation) where readers look, and calibrated; then the new
corpus version is announced in the pointer, which is how every reader — in this process
or another — notices the change. Segments are merged after that, small ones at once and
large ones in a background process (:func:`~vectorstore.readindex.schedule_merge`).
Records the new state no longer uses are pruned last, by the caller (:func:`prune`).
"""

from __future__ import annotations

from collections.abc import Iterable

from .embeddings import VectorEmbeddings
from .errors import StoreWriteError
from .generations import Generations, new_version
from .readindex import Manifest, ReadIndex, changes, index_dir, schedule_merge, sync
from .search import Calibration, calibration
from .writer import Writer

# How the summary an announcement stores begins after a removal (the article's id
# follows) and an import (the file's name follows); ``/stats`` reads them back.
REMOVED, IMPORTED = "removed ", "imported from "


def publish(writer: Writer, embedder: VectorEmbeddings) -> tuple[str, Calibration]:
    """Bring the read index to what ``writer``'s generation has committed and calibrate it:
    the new corpus version and its calibration, for the caller to announce."""
    directory = index_dir(writer.chroma.settings)
    version = new_version()
    try:
        manifest = sync(writer, version, (embedder.name, embedder.dim), directory)
    except OSError as exc:
        raise StoreWriteError(
            f"cannot write to the store at {writer.chroma.settings.location} (the search index in {directory}: "
            f"{exc.strerror or exc}); is the disk full or read-only? Nothing committed was lost: the previous "
            "index still serves."
        ) from None
    return version, calibration(ReadIndex.open(directory, manifest), embedder)


def announce(writer: Writer, embedder: VectorEmbeddings, summary: str) -> Calibration:
    """Publish the committed state of the live generation and announce it."""
    version, calibrated = publish(writer, embedder)
    Generations(writer.chroma).bump_version(summary, version, calibrated.threshold)
    schedule_merge(index_dir(writer.chroma.settings))
    return calibrated


def switch(writer: Writer, embedder: VectorEmbeddings, summary: str) -> None:
    """Publish a fully written new generation and make it the live one (rebuild, import).
    Its threshold is not compared with the old one's: a rebuild may bring a new embedder."""
    version, calibrated = publish(writer, embedder)
    Generations(writer.chroma).switch_to(
        writer.generation, embedder.name, embedder.dim, summary, version, calibrated.threshold
    )
    schedule_merge(index_dir(writer.chroma.settings))


def unpublished(writer: Writer) -> bool:
    """Whether the saved read index of the live generation holds another number of
    articles than Chroma commits: a run killed after removing an article but before
    publishing left no commit newer than the last ingest to find, only this difference."""
    directory = index_dir(writer.chroma.settings)
    manifest = Manifest.load(directory)
    if directory is None or manifest is None or manifest.generation != writer.generation:
        return False  # readers build theirs from Chroma
    try:
        served = manifest.live_articles(directory)
    except (OSError, ValueError, KeyError):
        return False  # damaged: the next reader builds it again from Chroma
    return served != writer.article_count()


def unannounced(writer: Writer, version: str) -> dict[str, str] | None:
    """How the committed articles differ from what the announced ``version`` serves (a run
    killed before it announced, its own or another's: a live batch that died before the
    next one announced): each article with "added" (that version lacks it), "updated" (it
    serves another version of it) or "removed" (no longer committed). Read from the index
    saved for that version as publishing reads it (every id only when the number of
    articles does not add up, as after a removal); None when the saved index is another
    version's (the next one, saved and never announced) or there is none."""
    index = ReadIndex.load(index_dir(writer.chroma.settings))
    if index is None or (index.version, index.generation) != (version, writer.generation):
        return None
    changed, removed = changes(writer, index)
    kinds = {aid: "updated" if index.hash_of(aid) is not None else "added" for aid in changed}
    return kinds | dict.fromkeys(removed, "removed")


def prune(writer: Writer, touched: Iterable[str]) -> None:
    """Delete the records of superseded or uncommitted versions of the ``touched``
    articles; those of any other article only when Chroma holds more passage or sentence
    records than the committed versions have (as the read index of the announced version
    counts them): an interrupted run left some. Scanning every record on every ingest
    cost ~45 s at 330,000 articles, whatever the ingest changed."""
    writer.prune(touched)
    announced = Generations(writer.chroma).read().corpus_version
    index = ReadIndex.load(index_dir(writer.chroma.settings))
    if index is None or (index.version, index.generation) != (announced, writer.generation):
        writer.prune()
        return
    if any(held > live for held, live in zip(writer.unit_counts(), index.unit_counts(), strict=True)):
        writer.prune()
