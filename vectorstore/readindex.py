"""What a reader searches and looks up: a copy of the committed store at one corpus version.

Vectors (:mod:`.vectors`) and BM25 (:mod:`.lexical`) are derived from Chroma, tagged
with the corpus version, generation and embedder they were built from, and saved
together in one folder that is replaced by a rename, so a process never loads half of
one. A new version is built from the previous one: rows of articles whose committed
hash did not change are kept, only changed articles are read back from Chroma.

The index holds every article's metadata, every paragraph's heading and every sentence,
so the lookups behind ``/source``, ``/article``, autocomplete and ``/stats`` are served
from it, consistent with the answers of the same version and without a round trip to
Chroma. A process keeps the index of the current version in a :class:`Reader`.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .chroma import Chroma
from .errors import UnknownCitation
from .generations import Generations, PointerMeta
from .lexical import LexicalIndex, index_text
from .memory import release_freed_memory
from .records import ArticleSummary, ParagraphView, citation_id, parse_citation_id
from .vectors import VectorIndex
from .writer import Writer

log = logging.getLogger(__name__)

# 2: article metadata as ArticleMeta (headings included); an older index is rebuilt.
FORMAT = 2
# Above this share of changed articles, one sequential scan beats many filtered reads.
FULL_SCAN_SHARE = 0.3


@dataclass(frozen=True)
class Counts:
    articles: int
    paragraphs: int
    passages: int
    sentences: int


@dataclass(frozen=True)
class ReadIndex:
    version: str
    generation: str
    embedder: str
    hashes: dict[str, str]
    vectors: VectorIndex
    lexical: LexicalIndex

    # --- building -------------------------------------------------------------------

    @classmethod
    def build(cls, writer: Writer | None, version: str, embedder: tuple[str, int],
              previous: ReadIndex | None = None) -> ReadIndex:
        """The committed state of ``writer``'s generation (none: an empty index), tagged
        ``version``, reusing ``previous``'s rows. ``embedder`` (name, dimension) is what
        the generation was embedded with: a writer knows it, a reader has it from the pointer."""
        name, dim = embedder
        generation = writer.generation if writer is not None else ""
        articles = writer.committed_articles() if writer is not None else {}
        hashes = {aid: r.article_hash for aid, r in articles.items()}
        kept: set[str] = set()
        if previous is not None and previous.generation == generation and previous.embedder == name:
            kept = {aid for aid, h in hashes.items() if previous.hashes.get(aid) == h}
        todo = [aid for aid in hashes if aid not in kept]
        if writer is None or not hashes:
            vectors = VectorIndex.empty(dim)
        elif len(todo) > FULL_SCAN_SHARE * len(hashes):
            vectors = VectorIndex.from_records(writer.committed_records(articles), dim)
        else:
            fresh = VectorIndex.from_records(writer.committed_records(articles, todo), dim)
            vectors = previous.vectors.keep(kept).plus(fresh) if previous is not None and kept else fresh
        return cls(version, generation, name, hashes, vectors, lexical_for(vectors))

    # --- files ----------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write beside the old folder and rename: a reader never sees half an index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}-"))
        old = directory.with_name(f".{directory.name}.old")
        try:
            self.vectors.save(tmp)
            self.lexical.save(tmp)
            (tmp / "index.json").write_text(json.dumps(
                {"format": FORMAT, "version": self.version, "generation": self.generation,
                 "embedder": self.embedder, "hashes": self.hashes}))
            if directory.exists():
                shutil.rmtree(old, ignore_errors=True)
                directory.rename(old)
            tmp.rename(directory)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(old, ignore_errors=True)

    def save_quietly(self, directory: Path | None) -> None:
        """Save where readers look (if anywhere); a read-only or full disk must not stop answering."""
        if directory is None:
            return
        try:
            self.save(directory)
        except OSError as exc:
            log.warning("could not save the search index to %s: %s", directory, exc)

    @classmethod
    def load(cls, directory: Path) -> ReadIndex | None:
        """The saved index, or None when there is none or it cannot be read (then it is rebuilt)."""
        try:
            head = json.loads((directory / "index.json").read_text())
            if head.get("format") != FORMAT:
                return None
            return cls(head["version"], head["generation"], head["embedder"], head["hashes"],
                       VectorIndex.load(directory), LexicalIndex.load(directory))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if directory.exists():
                log.warning("ignoring the search index in %s (%s); rebuilding it from the store", directory, exc)
            return None

    # --- lookups ----------------------------------------------------------------------

    def paragraph(self, cid: str) -> ParagraphView:
        """The paragraph behind a citation id (:class:`UnknownCitation` when there is none)."""
        article_id, n = parse_citation_id(cid)
        para_id = citation_id(article_id, n)
        vec = self.vectors
        row = vec.para_row(para_id)
        sentences = tuple(vec.s_text[r] for r in vec.sentence_rows(np.asarray([row]))) if row is not None else ()
        if row is None or not sentences:
            raise UnknownCitation(cid)
        return ParagraphView(para_id=para_id, article_id=article_id, paragraph=n, text=" ".join(sentences),
                             heading=vec.para_heading[row], meta=vec.article_meta[vec.para_article[row]],
                             sentences=sentences)

    def article(self, article_id: str) -> ArticleSummary:
        row = self.vectors.article_row(article_id)
        if row is None:
            raise UnknownCitation(article_id)
        return ArticleSummary(article_id, self.vectors.article_meta[row])

    def article_titles(self) -> dict[str, str]:
        """Article id → title, for autocomplete and listings."""
        return {aid: m.title for aid, m in zip(self.vectors.article_ids, self.vectors.article_meta, strict=True)}

    def article_paths(self) -> dict[str, str]:
        """Article id → the file it was ingested from."""
        return {aid: m.path for aid, m in zip(self.vectors.article_ids, self.vectors.article_meta, strict=True)}

    def counts(self) -> Counts:
        vec = self.vectors
        return Counts(len(vec.article_ids), sum(m.n_paragraphs for m in vec.article_meta), len(vec.p_text),
                      len(vec.s_text))

    def lexical_paragraphs(self, query: str, k: int) -> list[tuple[str, float]]:
        """BM25 alone, best paragraph first (a paragraph's best passage counts)."""
        best: dict[str, float] = {}
        for row, score in self.lexical.search(query, k * 3):
            best.setdefault(self.vectors.para_id(int(self.vectors.p_para[row])), score)
        return list(best.items())[:k]


def lexical_for(vectors: VectorIndex) -> LexicalIndex:
    titles = [m.title for m in vectors.article_meta]
    texts = [
        index_text(text, {"title": titles[vectors.para_article[p]], "heading": vectors.para_heading[p]})
        for text, p in zip(vectors.p_text, vectors.p_para, strict=True)
    ]
    return LexicalIndex.build(texts)


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

    def view(self) -> CorpusView:
        """The current version's index: one pointer read per call; the index is loaded (or
        built, from the previous one) once per ingest — here or in another process — and
        shared by every question after it."""
        pointer = self.generations.read()
        current = self._view
        if current is not None and current.index.version == pointer.corpus_version:
            return current
        with self._lock:
            if self._view is not None and self._view.index.version == pointer.corpus_version:
                return self._view
            directory = self.chroma.settings.read_index_dir
            saved = ReadIndex.load(directory) if directory else None
            if saved is not None and saved.version == pointer.corpus_version and saved.generation == pointer.live:
                index = saved
            else:
                writer = Writer(self.chroma, self.generations.open(pointer.live)) if pointer.live else None
                index = ReadIndex.build(writer, pointer.corpus_version, (pointer.embedder, pointer.dim),
                                        self._view.index if self._view else saved)
                if writer is not None:
                    index.save_quietly(directory)
            self._view = CorpusView(index, pointer)
            release_freed_memory()  # the previous version's index
            return self._view
