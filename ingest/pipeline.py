"""Incremental ingest: diff the corpus against the store, embed only what changed.

The write and commit steps of the one write protocol (the core's ``absatz.corpus``
holds the lock around them and audits them); publishing and announcing the new
version are :mod:`vectorstore.publish`'s.

The store is the manifest (each article's commit record carries the hash of its
stored version), so a run that was killed half-way is finished by the next one:
uncommitted articles simply look changed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from vectorstore.chroma import Chroma
from vectorstore.embeddings import VectorEmbeddings
from vectorstore.errors import AbsatzError, StoreError
from vectorstore.evidence import threshold_rise
from vectorstore.generations import Generations
from vectorstore.memory import release_freed_memory
from vectorstore.publish import announce, prune, switch, unannounced, unpublished
from vectorstore.records import ArticleRecord, Unit
from vectorstore.search import Calibration
from vectorstore.writer import Writer

from .article import Article
from .passages import article_hash, units_for
from .sources import DEFAULT_MAX_BYTES, Failure, load_articles, stored_path

EMBED_BATCH = 256

Progress = Callable[[int, int, int], None]  # (articles done, articles total, paragraphs embedded)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    paragraphs_embedded: int = 0
    units_embedded: int = 0
    seconds: float = 0.0
    # What an admin should look at though nothing failed: the abstention threshold rose
    # a lot (:class:`vectorstore.evidence.ThresholdRise`).
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
            "failed": [f.as_dict() for f in self.failed],
            "paragraphs_embedded": self.paragraphs_embedded,
            "units_embedded": self.units_embedded,
            "seconds": round(self.seconds, 3),
            "warnings": self.warnings,
        }


def _under(path: str, roots: Sequence[Path]) -> bool:
    p = Path(path).resolve()
    return any(p == r or p.is_relative_to(r) for r in roots)


def _other_holder(article: Article, stored: ArticleRecord, read: Sequence[Path], unread: Sequence[Path]) -> str | None:
    """The other file that the stored article of ``article``'s id came from, while it
    still holds that id. Replacing the article would flip the text its citations cite
    with every ingest of either file (the folder watcher ingests a changed file alone).
    A file that is gone was moved, and one this run read no longer holds the id (a JSONL
    line moved to another file): then the article follows."""
    held = stored.meta.path
    if not held or not article.path or held == article.path:
        return None
    resolved = Path(held).resolve()
    if resolved == Path(article.path).resolve() or not resolved.exists():
        return None
    if _under(held, read) and not _under(held, unread):
        return None
    return held


def _held_back(failed: Sequence[Failure]) -> Callable[[str, str], bool]:
    """Whether a stored article (id, file) that this run did not read stays, for a failure
    may hold it: a file or folder that could not be read keeps all it held. A JSONL file
    read but for some lines keeps what those lines name, and all it held while one of them
    names no id; an article deleted from it had stayed as long as any other line was broken."""
    unreadable = [Path(f.path).resolve() for f in failed if not f.line]
    named: dict[Path, set[str] | None] = {}
    for f in failed:
        if f.line:
            file = Path(f.path).resolve()
            ids = named.get(file, set())
            named[file] = None if ids is None or not f.line_id else ids | {f.line_id}

    def held(article_id: str, path: str) -> bool:
        if _under(path, unreadable):
            return True
        resolved = Path(path).resolve()
        return resolved in named and ((ids := named[resolved]) is None or article_id in ids)

    return held


def _unread(failed: Sequence[Failure], articles: Sequence[Article]) -> list[Path]:
    """The failed files and folders whose content this run does not know. A JSONL file
    with broken lines is known but for those lines, which the report names: it keeps
    what only they may hold (see :func:`_held_back`), but a file that holds one of its
    ids now is not refused until the lines are mended. A line refused as a duplicate
    (``article_id``) still holds its id there: the file that holds it stays unread for it,
    or the other file's article would take the id over."""
    yielded = {a.path for a in articles}
    return [
        Path(f.path).resolve()
        for f in failed
        if not (f.line and not f.article_id and stored_path(Path(f.path)) in yielded)
    ]


def _renamed_only(article: Article, stored: ArticleRecord) -> bool:
    """Whether the stored version differs from ``article`` only in how it names the same
    file. Stores written before paths were absolute hold them relative to the working
    directory of their ingest; they are read from this one's, which is right when it runs
    where that one did. A new name changes nothing a reader sees, so it must not rewrite
    every article of such a store."""
    held = stored.meta.path
    return (
        held != article.path
        and Path(held).resolve() == Path(article.path).resolve()
        and article_hash(replace(article, path=held)) == stored.article_hash
    )


def _embed_missing(embedder: VectorEmbeddings, units: Sequence[Unit], known: dict[str, np.ndarray]) -> set[str]:
    """Embed, in one batch, every unit text not in ``known``; adds them to ``known``."""
    todo: dict[str, str] = {}
    for u in units:
        if u.content_hash not in known and u.content_hash not in todo:
            todo[u.content_hash] = u.embed_text
    if todo:
        known.update(zip(todo.keys(), embedder.embed_passages(list(todo.values())), strict=True))
    return set(todo)


def apply(
    chroma: Chroma,
    embedder: VectorEmbeddings,
    articles: Iterable[Article],
    roots: Sequence[Path] = (),
    failed: Sequence[Failure] = (),
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the store in line with ``articles``.

    Stored articles from files under ``roots`` that no longer exist are removed, unless
    their file failed to parse: a broken file must not delete what was stored from it.
    """
    start = time.perf_counter()
    pointer, collections = Generations(chroma).prepare(embedder.name, embedder.dim)
    writer = Writer(chroma, collections)
    articles = list(articles)
    stored = _manifest(writer, articles, roots)
    # Before this run commits: what it would otherwise announce as its own.
    earlier = unannounced(writer, pointer.corpus_version) if pointer.last_ingest else None
    report = _sync(writer, embedder, articles, stored, roots, failed, progress)
    _claim_unannounced(report, earlier, stored if not pointer.last_ingest else {})
    # Commits and removals that an interrupted run made but never announced count as changes too.
    if report.changed or not pointer.last_ingest or writer.committed_since(pointer.last_ingest) or unpublished(writer):
        calibrated = announce(writer, embedder, report_summary(report))
        report.warnings = warnings_of(pointer.abstain_threshold, calibrated, report, embedder.name)
    prune(writer, [*report.added, *report.updated, *report.removed])
    report.seconds = time.perf_counter() - start
    return report


def _claim_unannounced(report: IngestReport, earlier: dict[str, str] | None, never: dict[str, ArticleRecord]) -> None:
    """A run killed before it announced left articles committed or removed that readers,
    the news channel and follows never heard of; this run's announcement makes that
    visible, so they are its additions, updates and removals. ``earlier``: such articles,
    each with how it changed since the announced version
    (:func:`~vectorstore.publish.unannounced`); ``never``: the stored articles of a store
    that never announced anything, all of them added. An article this run changed itself
    is listed as this run left it, once (updated by the killed run, removed by this one:
    removed)."""
    late = dict(earlier or {}) | dict.fromkeys(never, "added")
    mine = {*report.added, *report.updated, *report.removed}
    claimed = {aid: change for aid, change in late.items() if aid not in mine}
    report.unchanged = [aid for aid in report.unchanged if aid not in claimed]
    for aid in sorted(claimed):
        getattr(report, claimed[aid]).append(aid)


def _manifest(writer: Writer, articles: Sequence[Article], roots: Sequence[Path]) -> dict[str, ArticleRecord]:
    """The commit records this run can change. When every root is a file of one article,
    only ``articles``' own: the one article stored from such a file has its stem as id
    (:func:`~ingest.sources.parse_file`), so it is among them or its file failed and is
    kept. Under a folder, a missing path or no roots at all any stored article may be one
    to remove, so all of them (at 330,000 articles, reading every record took ~50 s)."""
    if roots and all(r.is_file() and r.suffix.lower() != ".jsonl" for r in roots):
        return writer.committed_articles(a.id for a in articles)
    return writer.committed_articles()


class RebuildRefused(AbsatzError):
    """A rebuild would have dropped what a failed source holds. It carries every
    failure, so a caller reports them all as an ingest does, not only the first."""

    def __init__(self, failed: Sequence[Failure] = ()):
        self.failed = tuple(failed)
        first = str(self.failed[0]) if self.failed else "no articles found"
        more = f" (and {len(self.failed) - 1} more failures)" if len(self.failed) > 1 else ""
        super().__init__(f"rebuild stopped, the index is unchanged: {first}{more}", failed=self.failed)


def rebuild(
    chroma: Chroma,
    embedder: VectorEmbeddings,
    articles: Iterable[Article],
    failed: Sequence[Failure] = (),
    progress: Progress | None = None,
) -> IngestReport:
    """Embed everything into a new generation beside the live one; switch when complete.

    Readers keep answering from the old generation until the switch, so changing
    ``EMBEDDING_MODEL`` never leaves the bot without an index. A rebuild replaces the
    whole index, so it stops before embedding anything when a source failed or nothing
    was found (a mistyped folder would otherwise empty the index).
    """
    articles = list(articles)
    if failed or not articles:
        raise RebuildRefused(failed)
    start = time.perf_counter()
    generations = Generations(chroma)
    for leftover in generations.stale():  # from a rebuild or import that was killed
        generations.drop(leftover)
    before = _stored_ids(generations)
    writer = Writer(chroma, generations.create(generations.new_generation()))
    report = _sync(writer, embedder, articles, {}, (), failed, progress)
    # What the new index lacks is removed, and said so: a rebuild of one file keeps one article.
    report.removed = sorted(before - {a.id for a in articles})
    switch(writer, embedder, report_summary(report))
    report.seconds = time.perf_counter() - start
    return report


def _stored_ids(generations: Generations) -> set[str]:
    """The articles the live generation holds (ids only); none when a collection of it is
    missing, which is what a rebuild is there to repair."""
    live = generations.read().live
    try:
        return set(Writer(generations.chroma, generations.open(live)).stored_ids("articles")) if live else set()
    except StoreError:
        return set()


def _sync(
    writer: Writer,
    embedder: VectorEmbeddings,
    articles: list[Article],
    manifest: dict[str, ArticleRecord],
    roots: Sequence[Path],
    failed: Sequence[Failure],
    progress: Progress | None,
) -> IngestReport:
    report = IngestReport(failed=list(failed))
    unread = _unread(failed, articles)
    resolved_roots = [Path(r).resolve() for r in roots]
    # The hash splits every paragraph into sentences: computed once per article.
    todo: list[tuple[Article, str, str]] = []
    for article in articles:
        stored = manifest.get(article.id)
        if stored and (holder := _other_holder(article, stored, resolved_roots, unread)):
            report.failed.append(Failure.duplicate(article, article.path, holder))
            continue
        if stored and _renamed_only(article, stored):
            report.unchanged.append(article.id)
            continue
        ahash = article_hash(article)
        if stored and stored.article_hash == ahash:
            report.unchanged.append(article.id)
        else:
            todo.append((article, "updated" if stored else "added", ahash))

    keep = {a.id for a in articles}
    held = _held_back(failed)
    leaving = [
        article_id
        for article_id in sorted(set(manifest) - keep)
        if not (path := manifest[article_id].meta.path)
        or ((not resolved_roots or _under(path, resolved_roots)) and not held(article_id, path))
    ]

    total = len(articles)
    done = total - len(todo)
    if progress:
        progress(done, total, 0)
    pending: list[tuple[Article, str, str, list[Unit]]] = []
    pending_units = 0

    def flush() -> None:
        nonlocal pending, pending_units, done
        known: dict[str, np.ndarray] = {}
        sources: set[str] = set()  # each read once: many renamed "Polizeibericht"s share candidates
        for article, status, _, _ in pending:
            sources.update([article.id] if status == "updated" else _renamed_from(article, leaving, manifest))
        for source in sorted(sources):
            known.update(writer.stored_vectors(source))
        fresh = _embed_missing(embedder, [u for *_, units in pending for u in units], known)
        report.units_embedded += len(fresh)
        for article, status, ahash, units in pending:
            vectors = np.stack([known[u.content_hash] for u in units])
            writer.write_article(article.id, article.meta(), ahash, units, vectors)
            report.paragraphs_embedded += len({u.paragraph for u in units if u.content_hash in fresh})
            getattr(report, status).append(article.id)
            done += 1
        if progress and pending:
            progress(done, total, report.paragraphs_embedded)
        pending, pending_units = [], 0

    for article, status, ahash in todo:
        units = units_for(article, ahash)
        pending.append((article, status, ahash, units))
        pending_units += len(units)
        if pending_units >= EMBED_BATCH:
            flush()
    flush()

    for article_id in leaving:
        writer.delete_article(article_id)
        report.removed.append(article_id)
    return report


def _renamed_from(article: Article, leaving: Sequence[str], manifest: dict[str, ArticleRecord]) -> list[str]:
    """The articles this run removes that may be ``article`` under another file name
    (its id): a rename is a removal and an addition, and its paragraphs are stored
    already. Same title and paragraph count, so that only their vectors are read; the
    texts themselves are matched by hash."""
    return [
        i
        for i in leaving
        if manifest[i].meta.title == article.title and manifest[i].meta.n_paragraphs == len(article.paragraphs)
    ]


def warnings_of(before: float | None, calibrated: Calibration, report: IngestReport, embedder: str) -> list[str]:
    """What the admin should hear of an ingest's calibration: that the threshold rose."""
    articles_before = calibrated.articles - len(report.added) + len(report.removed)
    changed = {*report.added, *report.updated}
    rise = threshold_rise(before, calibrated.threshold, articles_before, calibrated.nearest, changed, embedder)
    return [str(rise)] if rise else []


SUMMARY_COUNTS = ("added", "updated", "removed", "unchanged", "failed")
_SUMMARY = re.compile(", ".join(rf"(?P<{name}>\d+) {name}" for name in SUMMARY_COUNTS))


def report_summary(report: IngestReport) -> str:
    """The counts of an ingest in one line, as the store keeps it for ``/stats``."""
    return ", ".join(f"{len(getattr(report, name))} {name}" for name in SUMMARY_COUNTS)


def summary_counts(summary: str) -> dict[str, int] | None:
    """The counts a :func:`report_summary` line holds, for a reader who reads them in
    another language; None for a line of another form."""
    found = _SUMMARY.fullmatch(summary.strip())
    return {name: int(n) for name, n in found.groupdict().items()} if found else None


def ingest_paths(
    chroma: Chroma,
    embedder: VectorEmbeddings,
    paths: Sequence[str | Path],
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    full_rebuild: bool = False,
) -> IngestReport:
    articles, failures = load_articles(paths, max_bytes)
    try:
        if full_rebuild:
            return rebuild(chroma, embedder, articles, failed=failures, progress=progress)
        return apply(chroma, embedder, articles, roots=[Path(p) for p in paths], failed=failures, progress=progress)
    finally:
        release_freed_memory()  # the bot runs ingests in its own long-lived process
