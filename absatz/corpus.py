"""Changing the corpus: the one write protocol behind ingest, rebuild, upload, remove and import.

Every change runs the same steps, in this order: take the store's ingest lock (one
writer per store, across the CLI and the bot's processes) → write the records →
commit each article → publish the read index of the committed state → announce the
new corpus version (``ingest.pipeline`` and ``vectorstore.publish`` do those) →
record who did what, and how it went, in the audit log — refusals and failures too.
"""

from __future__ import annotations

import getpass
import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ingest.article import Article, ParseError
from ingest.corpus import parse_upload, trash_article, trash_replaced, write_upload
from ingest.corpus import upload_too_large as upload_too_large  # for the bot, before it downloads a file
from ingest.lock import IngestBusy, IngestLock, lock_path
from ingest.pipeline import IngestReport, Progress, ingest_paths, report_summary
from ingest.sources import stored_path
from vectorstore.chroma import Chroma
from vectorstore.embeddings import VectorEmbeddings, load_embedder
from vectorstore.errors import AbsatzError, EmbedderError
from vectorstore.generations import Generations
from vectorstore.publish import REMOVED, announce, prune
from vectorstore.transfer import import_into
from vectorstore.writer import Writer

from .db.audit import AuditLog
from .settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# How the live service's own actors (its watcher, its feed poller) are named.
LIVE_ACTOR = "live:"


@dataclass(frozen=True)
class Removal:
    article_id: str
    trashed: Path | None  # where its file went (CORPUS_DIR/.trash/…), if it had one


@dataclass(frozen=True)
class Upload:
    name: str
    articles: list[Article]
    report: IngestReport


def cli_actor() -> str:
    """Who ran a command, for the audit log. ``getpass`` reads LOGNAME, USER, LNAME and
    USERNAME, then the password database, so cron jobs and containers without those
    variables are still named; a uid without an entry there stays ``unknown``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError, ImportError):  # no entry for the uid (OSError from 3.13), no pwd module
        return "cli:unknown"


class Corpus:
    """The writer's side of one store: every change goes through :meth:`_run`."""

    def __init__(self, settings: Settings, audit: AuditLog, embedder: Callable[[], VectorEmbeddings] | None = None):
        self.settings = settings
        self.audit = audit
        self._embedder = embedder or (
            lambda: load_embedder(settings.store.embedding_model, settings.store.embedding_device)
        )

    def _run(
        self,
        actor: str,
        action: str,
        target: str,
        work: Callable[[str], T],
        summary: Callable[[T], str],
        locks_itself: bool = False,
    ) -> T:
        """Lock → ``work(holder)`` → audit. ``locks_itself``: the work takes the lock in
        another process (the bot's child-process ingest), under the same holder text."""
        holder = f"{actor}, {action} since {time.strftime('%H:%M:%S')} (pid {os.getpid()})"
        try:
            if locks_itself:
                result = work(holder)
            else:
                with IngestLock(lock_path(self.settings.store), holder):
                    result = work(holder)
        except IngestBusy as exc:
            if actor.startswith(LIVE_ACTOR):  # it tries again every few seconds: one line a wait
                self.audit.record_unless_repeated(actor, action, target, f"refused: {exc}")
            else:  # a person's every refusal is theirs to see
                self.audit.record(actor, action, target, f"refused: {exc}")
            raise
        except AbsatzError as exc:
            self.audit.record(actor, action, target, f"failed: {exc}")
            raise
        except BaseException as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.audit.record(actor, action, target, f"failed: {reason}")
            raise
        self.audit.record(actor, action, target, summary(result))
        return result

    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        *,
        actor: str,
        action: str = "ingest",
        progress: Progress | None = None,
        rebuild: bool = False,
        isolated: bool = False,
    ) -> IngestReport:
        """Incremental ingest of ``paths`` (default: the corpus folder; none: nothing); ``rebuild``
        re-embeds everything into a new generation and switches to it when complete;
        ``isolated`` runs it in a child process (:mod:`absatz.isolated`)."""
        paths = [self.settings.ingest.corpus_dir] if paths is None else list(paths)
        if not paths:  # "these files changed: none" (an ingest of no paths reads every stored article as gone)
            return IngestReport()
        if isolated:
            from .isolated import ingest_in_child

            def work(holder: str) -> IngestReport:
                return ingest_in_child(
                    self.settings.store, paths, self.settings.ingest.max_file_bytes, holder, progress, rebuild
                )
        else:

            def work(holder: str) -> IngestReport:
                return ingest_paths(
                    Chroma(self.settings.store),
                    self._embedder(),
                    paths,
                    self.settings.ingest.max_file_bytes,
                    progress,
                    full_rebuild=rebuild,
                )

        return self._run(
            actor,
            "rebuild" if rebuild else action,
            " ".join(map(str, paths)),
            work,
            report_summary,
            locks_itself=isolated,
        )

    def remove(self, article_id: str, *, actor: str) -> Removal:
        """Out of the index first (under the lock), then its file into the trash."""

        def work(holder: str) -> Removal:
            writer = Writer.live(Chroma(self.settings.store))
            path = writer.committed_article(article_id).meta.path
            writer.delete_article(article_id)
            announce(writer, self._embedder(), f"{REMOVED}{article_id}")
            prune(writer, [article_id])
            trashed = trash_article(self.settings.ingest.corpus_dir, Path(path), article_id) if path else None
            return Removal(article_id, trashed)

        return self._run(
            actor, "remove", article_id, work, lambda r: f"removed; file moved to {r.trashed or '(no file)'}"
        )

    def import_(self, path: Path, *, actor: str, replace: bool = False) -> dict[str, int]:
        """An export of another store, as a new generation (no re-embedding). A failed
        import into a store folder that did not exist leaves none behind (the ingest lock
        and Chroma create it before the export's first line is read); an existing store
        stays as it was.

        An import discards every article the store holds, so into a store that holds any
        it is refused unless ``replace``; then the counts say how many it replaced
        (``replaced``), as the audit log does."""
        if not path.exists():
            raise AbsatzError(f"{path}: no such file")
        if not path.is_file():
            raise AbsatzError(f"{path}: not a file (an export is one JSONL file)")
        store = self.settings.store
        created = None if store.chroma_host else _first_missing(store.chroma_path)

        def work(holder: str) -> dict[str, int]:
            # Under the lock: nothing but the lock in it, so no other process made a store here meanwhile.
            fresh = created is not None and _files_under(created) == [lock_path(store)]
            chroma = Chroma(store)
            try:
                held = _articles_held(chroma)  # under the lock: no ingest adds one before the switch
                if held != 0 and not replace:
                    raise AbsatzError(
                        f"{path}: not imported: {store.location} holds {_articles(held)}, which an import "
                        "replaces; ask to replace them (--replace, replace=True)"
                    )
                counts = import_into(chroma, path, lambda name: _export_embedder(path, name, store.embedding_device))
            except BaseException:
                if created is not None and fresh:
                    chroma.close()  # chromadb would keep serving the removed folder to this process
                    shutil.rmtree(created, ignore_errors=True)
                raise
            return {**counts, "replaced": held} if replace and held is not None else counts

        return self._run(actor, "import", str(path), work, _import_summary)

    def check_upload(self, name: str, data: bytes, stored_paths: dict[str, str]) -> tuple[str, list[Article]]:
        """An uploaded file, checked completely before anything is written: name, type,
        size, UTF-8, at least one article, no id twice in the file, and no article id that
        another file owns."""
        name, articles = parse_upload(name, data, self.settings.ingest.max_file_bytes)
        corpus = self.settings.ingest.corpus_dir.resolve()
        target = stored_path(corpus / name)  # as the store names files: a linked one by its own name
        for a in articles:
            existing = stored_paths.get(a.id)
            if existing and (held := Path(stored_path(Path(existing)))) != Path(target):
                # where in the corpus folder: "from solar.txt" for sub/solar.txt read as the upload itself
                shown = held.relative_to(corpus) if held.is_relative_to(corpus) else held.name
                raise ParseError(f"article id {a.id!r} already exists (from {shown}); rename the file")
        return name, articles

    def lock_free(self, holder: str) -> None:
        """Raises :class:`IngestBusy` (naming the holder) if any process ingests into this store."""
        with IngestLock(lock_path(self.settings.store), holder):
            pass

    def upload(
        self,
        name: str,
        data: bytes,
        *,
        actor: str,
        stored_paths: dict[str, str],
        isolated: bool = False,
        on_written: Callable[[Path], None] | None = None,
    ) -> Upload:
        """Check an uploaded file, write it into the corpus folder and ingest it; a
        rejected or failed upload leaves the folder as it was, and is audited.
        ``on_written`` hears of the file once it is written, before its ingest."""
        try:
            name, articles = self.check_upload(name, data, stored_paths)
        except AbsatzError as exc:
            self.audit.record(actor, "upload", name, f"rejected: {exc}")
            raise
        try:
            # Another process (`absatz ingest`) may hold the lock: ask before writing,
            # so its run never sees a file that this upload may not keep.
            self.lock_free(f"{actor} uploading {name}")
        except IngestBusy as exc:
            self.audit.record(actor, "upload", name, f"refused: {exc}")
            raise
        report = write_then_ingest(
            self.settings.ingest.corpus_dir,
            name,
            data,
            lambda path: self.ingest([path], actor=actor, action="upload", isolated=isolated),
            on_written,
        )
        return Upload(name, articles, report)


def write_then_ingest(
    corpus_dir: Path,
    name: str,
    data: bytes,
    ingest: Callable[[Path], IngestReport],
    on_written: Callable[[Path], None] | None = None,
) -> IngestReport:
    """Write an upload into the corpus folder and ingest it; whatever stops the ingest,
    the folder goes back to what it was (a replaced file gets its old bytes). A replaced
    file's old bytes are kept in the trash after a successful ingest too."""
    target = corpus_dir / name
    try:
        previous: bytes | None = target.read_bytes()
    except FileNotFoundError:
        previous = None
    path = write_upload(corpus_dir, name, data)
    try:
        if on_written is not None:
            on_written(path)
        report = ingest(path)
    except BaseException:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            write_upload(path.parent, path.name, previous)
        raise
    if previous is not None and previous != data:
        try:
            trash_replaced(corpus_dir, path.name, previous)
        except OSError as exc:  # the upload is in; only the copy of its old version failed
            log.warning("could not keep the replaced %s in the trash: %s", path.name, exc)
    return report


def _articles_held(chroma: Chroma) -> int | None:
    """The articles of the live generation (one commit record each): 0 before the first
    ingest, None when its articles are missing (a damaged store, which an import of a
    backup is there to repair)."""
    live = Generations(chroma).read().live
    if not live:
        return 0
    articles = chroma.collection(f"{live}.articles")
    return None if articles is None else chroma.call(articles.count)


def _articles(n: int | None) -> str:
    if n is None:
        return "an index that cannot be read whole"
    return f"{n} article" if n == 1 else f"{n} articles"


def _import_summary(counts: dict[str, int]) -> str:
    """``12 passages, 30 sentences, 3 articles`` and, with ``--replace``, ``; replaced 2 articles``."""
    imported = ", ".join(f"{n} {kind}" for kind, n in counts.items() if kind != "replaced")
    return imported + (f"; replaced {_articles(counts['replaced'])}" if "replaced" in counts else "")


def _first_missing(path: Path) -> Path | None:
    """The outermost of ``path`` and its parents that does not exist yet: the folder that
    creating ``path`` adds (``None``: ``path`` exists)."""
    if os.path.lexists(path):
        return None
    top = path
    for parent in path.parents:
        if os.path.lexists(parent):
            break
        top = parent
    return top


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if not p.is_dir())


def _export_embedder(path: Path, name: str, device: str) -> VectorEmbeddings:
    """The embedder the export names. Its error would name EMBEDDING_MODEL, which the
    import does not read: the name came from the file."""
    try:
        return load_embedder(name, device)
    except EmbedderError as exc:
        raise EmbedderError(f"{path}: the export's embedder {name!r} cannot be loaded here: {exc.reason}") from None
