"""What a reader searches: a copy of the committed store at one corpus version.

Vectors (:mod:`.vectors`) and BM25 (:mod:`.lexical`) are derived from Chroma, tagged
with the corpus version, generation and embedder they were built from, and saved
together in one folder that is replaced by a rename, so a process never loads half of
one. A new version is built from the previous one: rows of articles whose committed
hash did not change are kept, only changed articles are read back from Chroma.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .lexical import LexicalIndex, index_text
from .store import Snapshot, Store
from .vectors import VectorIndex

log = logging.getLogger(__name__)

FORMAT = 1
# Above this share of changed articles, one sequential scan beats many filtered reads.
FULL_SCAN_SHARE = 0.3


@dataclass(frozen=True)
class ReadIndex:
    version: str
    generation: str
    embedder: str
    hashes: dict[str, str]
    vectors: VectorIndex
    lexical: LexicalIndex

    @property
    def snapshot(self) -> Snapshot:
        return Snapshot(self.version, self.hashes)

    def lexical_paragraphs(self, query: str, k: int) -> list[tuple[str, float]]:
        """BM25 alone, best paragraph first (a paragraph's best passage counts)."""
        best: dict[str, float] = {}
        for row, score in self.lexical.search(query, k * 3):
            best.setdefault(self.vectors.para_id(int(self.vectors.p_para[row])), score)
        return list(best.items())[:k]

    @classmethod
    def build(cls, store: Store, version: str, previous: ReadIndex | None = None,
              embedder: tuple[str, int] | None = None) -> ReadIndex:
        """The committed state of ``store``, tagged ``version``, reusing ``previous``'s rows.

        ``embedder`` (name, dimension) is what the writer embedded with; readers take it
        from the pointer, which a generation still being written is not yet named in."""
        meta = store.meta
        name, dim = embedder or (meta.get("embedder", ""), int(meta.get("dim", 0) or 0))
        generation = store.generation
        articles = store.committed_articles() if generation else {}
        hashes = {aid: m["article_hash"] for aid, m in articles.items()}
        reusable = previous is not None and previous.generation == generation and previous.embedder == name
        kept = {aid for aid, h in hashes.items() if reusable and previous.hashes.get(aid) == h}
        todo = [aid for aid in hashes if aid not in kept]
        if not hashes:
            vectors = VectorIndex.empty(dim)
        elif len(todo) > FULL_SCAN_SHARE * len(hashes):
            vectors = VectorIndex.from_records(store.committed_records(articles), dim)
        else:
            fresh = VectorIndex.from_records(store.committed_records(articles, todo), dim)
            vectors = previous.vectors.keep(kept).plus(fresh) if kept else fresh
        return cls(version, generation, name, hashes, vectors, lexical_for(vectors))

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


def lexical_for(vectors: VectorIndex) -> LexicalIndex:
    titles = [a.get("title", "") for a in vectors.articles]
    texts = [
        index_text(text, {"title": titles[vectors.para_article[p]], "heading": vectors.para_heading[p]})
        for text, p in zip(vectors.p_text, vectors.p_para)
    ]
    return LexicalIndex.build(texts)
