"""What a reader searches and looks up: a copy of the committed store at one corpus version.

Chroma is the one source of truth; the read index is derived from it and rebuildable at
any time. It lives in a folder (beside the store, or ``INDEX_DIR``) as immutable
*segments* (:mod:`.segment`: vectors, BM25, texts and metadata of some articles, shared
by every reader through the page cache) and a *manifest* naming the segments of the current version and,
per segment, the articles a later segment replaced or a removal deleted. Like Lucene:

- **from scratch** (a new store, a new generation, an older format): one segment,
  written streamed from Chroma a few hundred articles at a time (:func:`build_full`);
- **an ingest** (:func:`sync`) reads back from Chroma only the articles committed since
  the index last looked (their commit time; a count check catches removals) and writes
  them as a small new segment, marking their old rows dead: bytes written are those of
  the changed articles, whatever the size of the corpus;
- **a merge** (:func:`merge`) folds segments together — small ones at once, the base
  in a background process — copying rows and BM25 weights as they are, so results stay
  the same; readers switch to the merged segments at their next question.

The manifest is replaced by a rename under a lock (``.lock``), so a reader never sees
half of one; a reader that already holds a version's segments opens only the new ones
(:class:`Reader`). The index holds every article's metadata, every paragraph's heading
and every sentence: ``/source``, ``/article``, autocomplete and ``/stats`` are served
from it, consistent with the answers of the same version.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .chroma import Chroma
from .errors import NoIndex, UnknownCitation
from .generations import Generations, PointerMeta
from .lexical import LexicalIndex
from .memory import release_freed_memory
from .records import ArticleRecord, ArticleSummary, ParagraphView, citation_id, parse_citation_id
from .segment import (
    DamagedSegment,
    Segment,
    SegmentWriter,
    article_rows,
    fsync_dir,
    merge_segments,
    new_segment_name,
    save_synced,
    synced,
)
from .settings import StoreSettings
from .vectors import VectorIndex
from .writer import Writer

if TYPE_CHECKING:
    from chromadb.api.types import Where

log = logging.getLogger(__name__)

# 3: segments and a manifest; an older index (one folder of arrays) is rebuilt.
# 4: BM25 as term frequencies, its statistics counted at query time (3 froze them into
# weights when a segment was written): an index of format 3 is rebuilt from Chroma.
FORMAT = 4
MANIFEST = "manifest.json"
# Articles read back from Chroma per request while building from scratch.
BUILD_BATCH = 500
# Commits this much older than the newest one the index has seen are looked at again
# (clocks of several hosts writing one store may disagree by that much).
CLOCK_SLACK_S = 600.0
# Merge policy: an index of at most MERGE_FLOOR live passages is kept as one segment
# (merged at once: it takes well under a second); above, the deltas are merged when
# there are more than MAX_DELTAS of them, and everything into a new base when the deltas
# and the base's dead rows reach MERGE_SHARE of the base.
MERGE_FLOOR = 50_000
MAX_DELTAS = 8
MERGE_SHARE = 0.1


# --- the manifest ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A segment of the manifest: its folder, and the file of its dead article rows."""

    name: str
    passages: int
    deleted: str = ""
    dead_passages: int = 0


@dataclass(frozen=True)
class Manifest:
    version: str
    generation: str
    embedder: str
    dim: int
    segments: tuple[Entry, ...] = ()
    serial: int = 0
    max_committed: float = 0.0  # the newest commit time the index has seen

    def usable_for(self, generation: str, embedder: str) -> bool:
        return self.generation == generation and self.embedder == embedder

    @property
    def live_passages(self) -> int:
        return sum(e.passages - e.dead_passages for e in self.segments)

    def save(self, directory: Path) -> None:
        tmp = directory / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
        tmp.write_text(
            json.dumps(
                {
                    "format": FORMAT,
                    "version": self.version,
                    "generation": self.generation,
                    "embedder": self.embedder,
                    "dim": self.dim,
                    "serial": self.serial,
                    "max_committed": self.max_committed,
                    "segments": [vars(e) for e in self.segments],
                }
            )
        )
        synced(tmp)
        fsync_dir(directory)  # the segment folders it names, renamed into place, before it
        os.replace(tmp, directory / MANIFEST)
        fsync_dir(directory)

    @classmethod
    def load(cls, directory: Path | None) -> Manifest | None:
        if directory is None:
            return None
        try:
            head = json.loads((directory / MANIFEST).read_text())
            if head.get("format") != FORMAT:
                return None
            return cls(
                head["version"],
                head["generation"],
                head["embedder"],
                int(head["dim"]),
                tuple(Entry(**e) for e in head["segments"]),
                int(head["serial"]),
                float(head["max_committed"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def dead(self, directory: Path, entry: Entry) -> np.ndarray:
        if not entry.deleted:
            return np.zeros(0, np.int64)
        try:
            rows: np.ndarray = np.load(directory / entry.deleted)
        except (ValueError, EOFError) as exc:  # cut short or garbled
            raise DamagedSegment(f"{entry.deleted}: {exc}") from exc
        return rows

    def live_articles(self, directory: Path) -> int:
        """The articles this index serves, from each segment's header and dead rows: no
        vectors or BM25 opened (an ingest asks on every run)."""
        return sum(
            int(json.loads((directory / e.name / "segment.json").read_text())["articles"])
            - len(self.dead(directory, e))
            for e in self.segments
        )


@contextlib.contextmanager
def index_lock(directory: Path, blocking: bool = True) -> Iterator[bool]:
    """The index folder's lock: whoever changes the manifest holds it. Yields False when
    ``blocking`` is off and another process holds it."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


_LEGACY = ("index.json", "texts.json", "bm25")  # the single-folder index of format 2


def remove_unreferenced(directory: Path, manifest: Manifest) -> None:
    """Segments and deletion files the manifest no longer names (readers that opened
    them keep reading them until they move on), and an index of an older format."""
    keep = {e.name for e in manifest.segments} | {e.deleted for e in manifest.segments if e.deleted}
    for path in directory.iterdir():
        old = path.name.startswith("seg-") and path.name not in keep
        legacy = path.name in _LEGACY or (path.suffix == ".npy" and not path.name.startswith("seg-"))
        if old or legacy:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


# --- the index a reader searches ------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    articles: int
    paragraphs: int
    passages: int
    sentences: int


@dataclass(frozen=True, eq=False)
class ReadIndex:
    version: str
    generation: str
    embedder: str
    vectors: VectorIndex
    lexical: LexicalIndex
    manifest: Manifest = field(default_factory=lambda: Manifest("", "", "", 0))
    directory: Path | None = None

    # --- opening --------------------------------------------------------------------

    @classmethod
    def open(cls, directory: Path, manifest: Manifest, cache: dict[str, Segment] | None = None) -> ReadIndex:
        """The segments ``manifest`` names (reusing those already open in ``cache``)."""
        segments, dead = [], []
        for entry in manifest.segments:
            seg = cache.get(entry.name) if cache is not None else None
            if seg is None:
                seg = Segment(directory / entry.name)
                if cache is not None:
                    cache[entry.name] = seg
            segments.append(seg)
            dead.append(manifest.dead(directory, entry))
        vectors = VectorIndex(segments, dead, manifest.dim)
        dead_rows = vectors.dead_passage_rows()
        lexical = LexicalIndex([s.lexicon for s in segments], vectors.p_off, dead_rows if len(dead_rows) else None)
        return cls(manifest.version, manifest.generation, manifest.embedder, vectors, lexical, manifest, directory)

    @classmethod
    def load(cls, directory: Path | None) -> ReadIndex | None:
        """The index saved in ``directory``, or None when there is none (or an older format)."""
        manifest = Manifest.load(directory)
        if manifest is None or directory is None:
            return None
        try:
            return cls.open(directory, manifest)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring the search index in %s (%s); rebuilding it from the store", directory, exc)
            return None

    @classmethod
    def build(
        cls, writer: Writer | None, version: str, embedder: tuple[str, int], previous: ReadIndex | None = None
    ) -> ReadIndex:
        """The committed state of ``writer``'s generation built from scratch into a folder of
        its own (removed with the index): what a check compares a saved index with."""
        directory = Path(tempfile.mkdtemp(prefix="absatz-index-"))
        if writer is None:
            manifest = Manifest(version, "", embedder[0], embedder[1])
        else:
            manifest = build_full(writer, version, embedder, directory)
        manifest.save(directory)
        index = cls.open(directory, manifest)
        weakref.finalize(index, shutil.rmtree, directory, True)
        return index

    # --- lookups ----------------------------------------------------------------------

    @cached_property
    def hashes(self) -> dict[str, str]:
        """Article id → committed hash, every live article (built when first asked for)."""
        vec = self.vectors
        live = vec.live_articles()
        return {aid: h for aid, h, alive in zip(vec.article_ids, vec.article_hashes, live, strict=True) if alive}

    def hash_of(self, article_id: str) -> str | None:
        row = self.vectors.article_row(article_id)
        return self.vectors.article_hashes[row] if row is not None else None

    def paragraph(self, cid: str) -> ParagraphView:
        """The paragraph behind a citation id (:class:`UnknownCitation` when there is none)."""
        article_id, n = parse_citation_id(cid)
        para_id = citation_id(article_id, n)
        vec = self.vectors
        row = vec.para_row(para_id)
        sentences = tuple(vec.s_text[int(r)] for r in vec.sentence_rows(np.asarray([row]))) if row is not None else ()
        if row is None or not sentences:
            raise UnknownCitation(cid)
        return ParagraphView(
            para_id=para_id,
            article_id=article_id,
            paragraph=n,
            text=" ".join(sentences),
            heading=vec.para_heading[row],
            meta=vec.article_meta[int(vec.para_article[row])],
            sentences=sentences,
        )

    def article(self, article_id: str) -> ArticleSummary:
        row = self.vectors.article_row(article_id)
        if row is None:
            raise UnknownCitation(article_id)
        return ArticleSummary(article_id, self.vectors.article_meta[row])

    def _live_meta(self) -> Iterator[tuple[str, Any]]:
        vec = self.vectors
        for aid, meta, alive in zip(vec.article_ids, vec.article_meta, vec.live_articles(), strict=True):
            if alive:
                yield aid, meta

    def article_titles(self) -> dict[str, str]:
        """Article id → title, for autocomplete and listings."""
        return {aid: m.title for aid, m in self._live_meta()}

    def article_paths(self) -> dict[str, str]:
        """Article id → the file it was ingested from."""
        return {aid: m.path for aid, m in self._live_meta()}

    def counts(self) -> Counts:
        vec = self.vectors
        live = vec.live_articles()
        totals = np.zeros(3, np.int64)
        for s, seg in enumerate(vec.segments):
            rows = np.flatnonzero(live[vec.a_off[s] : vec.a_off[s + 1]])
            totals += seg.counts_of(rows)
        return Counts(int(live.sum()), int(totals[0]), int(totals[1]), int(totals[2]))

    def unit_counts(self) -> tuple[int, int]:
        """Passages and sentences of the live articles: the records their committed
        versions have in Chroma. Counted from the dead rows, without the articles'
        metadata :meth:`counts` reads (seconds at 330,000 articles)."""
        sentences = 0
        for seg, dead in zip(self.vectors.segments, self.vectors.dead, strict=True):
            a_para, sent_start = np.asarray(seg.a_para), np.asarray(seg.sent_start)
            dead = np.asarray(dead, np.int64)
            sentences += seg.sentences - int((sent_start[a_para[dead + 1]] - sent_start[a_para[dead]]).sum())
        return self.manifest.live_passages, sentences

    def lexical_paragraphs(self, query: str, k: int) -> list[tuple[str, float]]:
        """BM25 alone, best paragraph first (a paragraph's best passage counts)."""
        best: dict[str, float] = {}
        for row, score in self.lexical.search(query, k * 3):
            best.setdefault(self.vectors.para_id(int(self.vectors.p_para[row])), score)
        return list(best.items())[:k]


# --- building and updating ---------------------------------------------------------------------


def _pages(writer: Writer, include: list[str], where: Where | None = None) -> Iterator[dict[str, Any]]:
    collection = writer.collections.articles
    for page in writer.chroma.pages(collection, cast("Any", include), where):
        yield cast("dict[str, Any]", page)


def _write_segment(
    writer: Writer,
    articles: dict[str, ArticleRecord],
    ids: list[str],
    directory: Path,
    dim: int,
) -> tuple[str, dict[str, Any]]:
    """A new segment of ``ids`` (read back from Chroma ``BUILD_BATCH`` articles at a time)."""
    name = new_segment_name()
    seg = SegmentWriter(directory / name, dim)
    try:
        for start in range(0, len(ids), BUILD_BATCH):
            chunk = ids[start : start + BUILD_BATCH]
            seg.add(article_rows(writer.committed_records(articles, chunk)))
        return name, seg.finish()
    except BaseException:
        seg.abandon()
        raise


def build_full(writer: Writer, version: str, embedder: tuple[str, int], directory: Path) -> Manifest:
    """One segment of everything ``writer``'s generation has committed, streamed."""
    name, dim = embedder
    articles = writer.committed_articles()
    ids = sorted(articles)
    if not ids:
        return Manifest(version, writer.generation, name, dim)
    seg_name, meta = _write_segment(writer, articles, ids, directory, dim)
    return Manifest(
        version, writer.generation, name, dim, (Entry(seg_name, meta["passages"]),), 1, meta["max_committed"]
    )


def recent_changes(writer: Writer, index: ReadIndex) -> dict[str, ArticleRecord]:
    """Articles committed since ``index`` last looked (less the clocks' slack) that it lacks
    or holds in another version: compared by hash, so a clock that runs ahead adds reads,
    never changes."""
    since = index.manifest.max_committed - CLOCK_SLACK_S
    committed_since = cast("Where", {"committed": {"$gte": since}})  # mypy cannot infer the nested Literal key
    recent = [
        ArticleRecord.from_metadata(m)
        for page in _pages(writer, ["metadatas"], committed_since)
        for m in page["metadatas"] or []
    ]
    return {r.article_id: r for r in recent if index.hash_of(r.article_id) != r.article_hash}


def changes(writer: Writer, index: ReadIndex) -> tuple[dict[str, ArticleRecord], list[str]]:
    """Articles committed in Chroma that ``index`` lacks or holds in another version, and
    articles ``index`` holds that are no longer committed. Reads only the article records
    committed since the index last looked, and the number of articles; all ids only when
    that number does not add up."""
    changed = recent_changes(writer, index)
    new = sum(1 for aid in changed if index.vectors.article_row(aid) is None)
    total = writer.chroma.call(writer.collections.articles.count)
    live = int(index.vectors.live_articles().sum())
    removed: list[str] = []
    if total != live + new:
        committed = writer.committed_articles()
        removed = [aid for aid in index.hashes if aid not in committed]
        for aid, record in committed.items():
            if index.hashes.get(aid) != record.article_hash:
                changed[aid] = record
    return changed, removed


def update(writer: Writer, index: ReadIndex, version: str, directory: Path) -> Manifest:
    """``index``'s manifest brought to what ``writer``'s generation has committed: a new
    segment of the changed articles, their old rows marked dead."""
    manifest = index.manifest
    changed, removed = changes(writer, index)
    if not changed and not removed:
        return replace(manifest, version=version)
    vec = index.vectors
    dead = [set(manifest.dead(directory, e).tolist()) for e in manifest.segments]
    for aid in [*changed, *removed]:
        row = vec.article_row(aid)
        if row is not None:
            s = int(np.searchsorted(vec.a_off, row, side="right")) - 1
            dead[s].add(row - int(vec.a_off[s]))
    serial = manifest.serial + 1
    entries = []
    for s, (entry, rows) in enumerate(zip(manifest.segments, dead, strict=True)):
        if len(rows) == len(manifest.dead(directory, entry)):
            entries.append(entry)
            continue
        arr = np.asarray(sorted(rows), np.int64)
        deleted = f"{entry.name}.del-{serial}.npy"
        save_synced(directory / deleted, arr)
        entries.append(replace(entry, deleted=deleted, dead_passages=len(vec.segments[s].dead_passages(arr))))
    max_committed = manifest.max_committed
    if changed:
        name, meta = _write_segment(writer, changed, sorted(changed), directory, manifest.dim)
        entries.append(Entry(name, meta["passages"]))
        max_committed = max(max_committed, meta["max_committed"])
    return replace(manifest, version=version, segments=tuple(entries), serial=serial, max_committed=max_committed)


def sync(writer: Writer, version: str, embedder: tuple[str, int], directory: Path) -> Manifest:
    """Bring the index in ``directory`` to the committed state of ``writer``'s generation,
    tagged ``version``: incrementally when it holds an earlier state of the same
    generation and embedder, else from scratch."""
    with index_lock(directory):
        current = Manifest.load(directory)
        if current is not None and current.usable_for(writer.generation, embedder[0]):
            try:
                manifest = update(writer, ReadIndex.open(directory, current), version, directory)
            except (OSError, ValueError, KeyError) as exc:
                if isinstance(exc, OSError) and exc.errno in (28, 27, 30):  # full, too large, read-only
                    raise
                log.warning("rebuilding the search index in %s (%s)", directory, exc)
                manifest = build_full(writer, version, embedder, directory)
        else:
            manifest = build_full(writer, version, embedder, directory)
        manifest.save(directory)
        remove_unreferenced(directory, manifest)
        return manifest


# --- merging ------------------------------------------------------------------------------------


def plan_merge(manifest: Manifest) -> list[str]:
    """The segments to merge now (contiguous, in order), by the policy above; [] for none."""
    entries = manifest.segments
    if not entries or (len(entries) == 1 and not entries[0].dead_passages):
        return []
    if manifest.live_passages <= MERGE_FLOOR:
        return [e.name for e in entries]
    base, deltas = entries[0], entries[1:]
    if sum(e.passages for e in deltas) + base.dead_passages > MERGE_SHARE * max(base.passages, 1):
        return [e.name for e in entries]
    if len(deltas) > MAX_DELTAS:
        return [e.name for e in deltas]
    return []


def merge(directory: Path, names: list[str] | None = None) -> bool:
    """Merge ``names`` (default: what :func:`plan_merge` chooses) into one segment and
    commit it; deletions that happened meanwhile are carried over. Nothing happens when
    another merge runs or the segments changed meanwhile. True when a merge was committed."""
    with index_lock(directory / ".merging", blocking=False) as mine:
        if not mine:
            return False
        snapshot = Manifest.load(directory)
        if snapshot is None:
            return False
        names = names if names is not None else plan_merge(snapshot)
        if not names:
            return False
        entries = [e for e in snapshot.segments if e.name in names]
        sources = [(Segment(directory / e.name), snapshot.dead(directory, e)) for e in entries]
        tmp = directory / f".merge-{uuid.uuid4().hex[:8]}"
        merge_segments(sources, tmp)
        with index_lock(directory):
            current = Manifest.load(directory)
            now = {e.name: e for e in current.segments} if current is not None else {}
            if current is None or any(n not in now for n in names):
                shutil.rmtree(tmp, ignore_errors=True)
                return False
            merged = Segment(tmp)
            late = []  # articles that died in the merged segments while the merge ran
            for (seg, before), e in zip(sources, entries, strict=True):
                after = current.dead(directory, now[e.name])
                for row in np.setdiff1d(after, before).tolist():
                    late.append(merged.article_row(seg.a_id[row]))
            name = new_segment_name()
            os.rename(tmp, directory / name)
            entry = Entry(name, merged.passages)
            serial = current.serial + 1
            if late:
                arr = np.asarray(sorted(r for r in late if r is not None), np.int64)
                entry = replace(entry, deleted=f"{name}.del-{serial}.npy", dead_passages=len(merged.dead_passages(arr)))
                save_synced(directory / entry.deleted, arr)
            segments: list[Entry] = []
            for e in current.segments:
                if e.name == names[0]:
                    segments.append(entry)
                elif e.name not in names:
                    segments.append(e)
            manifest = replace(current, segments=tuple(segments), serial=serial)
            manifest.save(directory)
            remove_unreferenced(directory, manifest)
        return True


def schedule_merge(directory: Path) -> None:
    """Merge what the policy asks for: small merges at once, larger ones in a process of
    their own that outlives this one (readers pick its result up by themselves)."""
    manifest = Manifest.load(directory)
    names = plan_merge(manifest) if manifest is not None else []
    if not names or manifest is None:
        return
    rows = sum(e.passages for e in manifest.segments if e.name in names)
    if rows <= MERGE_FLOOR:
        merge(directory, names)
        return
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH", "")]))}
    subprocess.Popen(
        [sys.executable, "-m", "vectorstore.readindex", "merge", str(directory)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


# --- the reader ------------------------------------------------------------------------------------

_private: dict[str, Path] = {}
_private_lock = threading.Lock()


def private_dir(settings: StoreSettings) -> Path:
    """A folder of this process for a store whose readers share none (server mode without
    INDEX_DIR, or a shared folder this process cannot write): removed at exit."""
    with _private_lock:
        path = _private.get(settings.location)
        if path is None:
            path = Path(tempfile.mkdtemp(prefix="absatz-index-"))
            atexit.register(shutil.rmtree, path, True)
            _private[settings.location] = path
        return path


def index_dir(settings: StoreSettings) -> Path:
    return settings.read_index_dir or private_dir(settings)


@dataclass(frozen=True)
class CorpusView:
    """One corpus version as a reader sees it: the read index and the pointer that announced it."""

    index: ReadIndex
    pointer: PointerMeta


class Reader:
    """The read index of the current corpus version, for every thread of one process."""

    def __init__(self, chroma: Chroma):
        self.chroma = chroma
        self.generations = Generations(chroma)
        self._view: CorpusView | None = None
        self._lock = threading.Lock()
        self._segments: dict[str, Segment] = {}
        self._stat: tuple[int, int] | None = None
        self._directory: Path | None = None

    def directory(self) -> Path:
        if self._directory is None:
            self._directory = index_dir(self.chroma.settings)
        return self._directory

    def _manifest_stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.directory() / MANIFEST)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns

    def view(self) -> CorpusView:
        """The current version's index: one pointer read (and one stat of the manifest) per
        call. When the pointer moved — an ingest here or in another process — the manifest
        is read again and only segments this process has not opened yet are opened; when
        only the manifest changed, a merge of the same version is followed (a version saved
        but not yet announced is not: readers serve what was announced)."""
        pointer = self.generations.read()
        current = self._view
        if current is not None and (current.pointer.corpus_version, current.pointer.live) == (
            pointer.corpus_version,
            pointer.live,
        ):
            if self._manifest_stat() == self._stat:
                return current
            with self._lock:
                return self._follow_merge(current)
        with self._lock:
            current = self._view
            if current is not None and (current.pointer.corpus_version, current.pointer.live) == (
                pointer.corpus_version,
                pointer.live,
            ):
                return current
            index = self._open(pointer)
            return self._serve(CorpusView(index, pointer))

    def _serve(self, view: CorpusView) -> CorpusView:
        self._view = view
        names = {e.name for e in view.index.manifest.segments}
        for name in [n for n in self._segments if n not in names]:
            del self._segments[name]
        release_freed_memory()  # the previous version's index
        return view

    def _follow_merge(self, current: CorpusView) -> CorpusView:
        for attempt in range(5):
            self._stat = self._manifest_stat()
            manifest = Manifest.load(self.directory())
            index = current.index
            if (
                manifest is None
                or manifest.version != index.version
                or manifest.serial == index.manifest.serial
                or not manifest.usable_for(index.generation, index.embedder)
            ):
                return current
            try:
                return self._serve(
                    CorpusView(ReadIndex.open(self.directory(), manifest, self._segments), current.pointer)
                )
            except (FileNotFoundError, DamagedSegment):  # a later merge, or the next ingest, replaces it
                time.sleep(0.05 * (attempt + 1))
        return current

    def _open(self, pointer: PointerMeta) -> ReadIndex:
        if not pointer.live:
            # Nothing ingested, or no longer (a server restarted on an empty folder): said
            # so, as to a process that opens it now. An empty index had answered every
            # question "not in the corpus".
            raise NoIndex.at(self.generations.location)
        for attempt in range(5):
            directory = self.directory()
            self._stat = self._manifest_stat()
            manifest = Manifest.load(directory)
            try:
                stale = (
                    manifest is None
                    or not manifest.usable_for(pointer.live, pointer.embedder)
                    or (manifest.version != pointer.corpus_version and self._behind(manifest, pointer))
                )
                if stale:
                    manifest = self._sync(pointer, directory)
                    self._stat = self._manifest_stat()
                assert manifest is not None
                return ReadIndex.open(directory, manifest, self._segments)
            except FileNotFoundError as exc:  # a merge replaced the segments meanwhile: read the manifest again
                missing: Exception = exc
                time.sleep(0.05 * (attempt + 1))
            except DamagedSegment as exc:
                missing = exc
                break
        # Still missing after the manifest was read again (no merge), or cut short: a damaged
        # folder (a segment deleted by hand or by a disk clean-up, a crash of an index written
        # before its files were synced). It is derived: built again from Chroma.
        # (sync finds the segments damaged too, and builds them again, once, under the lock)
        log.warning("the search index in %s is damaged (%s); rebuilding it from the store", directory, missing)
        manifest = self._sync(pointer, directory)
        self._stat = self._manifest_stat()
        return ReadIndex.open(self.directory(), manifest, self._segments)

    def _behind(self, manifest: Manifest, pointer: PointerMeta) -> bool:
        """The saved index is not the announced version: the announcing process may simply
        not have finished (it saves, then announces), or none saved it (no shared folder).
        Whether Chroma holds commits it lacks decides."""
        writer = Writer(self.chroma, self.generations.open(pointer.live))
        changed, removed = changes(writer, ReadIndex.open(self.directory(), manifest, self._segments))
        return bool(changed or removed)

    def _sync(self, pointer: PointerMeta, directory: Path) -> Manifest:
        writer = Writer(self.chroma, self.generations.open(pointer.live))
        try:
            return sync(writer, pointer.corpus_version, (pointer.embedder, pointer.dim), directory)
        except OSError as exc:
            if directory == self._directory and directory != private_dir(self.chroma.settings):
                log.warning("cannot update the search index in %s (%s); keeping one of this process", directory, exc)
                self._directory = private_dir(self.chroma.settings)
                return sync(writer, pointer.corpus_version, (pointer.embedder, pointer.dim), self._directory)
            raise


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "merge":
        logging.basicConfig(level=logging.INFO)
        while merge(Path(argv[1])):  # until the policy asks for nothing more
            pass
        return 0
    print("usage: python -m vectorstore.readindex merge INDEX_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
