"""Making committed writes visible: the last steps of the one write protocol.

After an ingest, a removal, a rebuild or an import has committed its records, the read
index of the committed state is built (from the previous one: only changed articles are
read back), saved where readers look and calibrated; then the new corpus version is
announced in the pointer, which is how every reader — in this process or another —
notices the change. Records the new state no longer uses are pruned last, by the caller.
"""

from __future__ import annotations

from .embeddings import VectorEmbeddings
from .generations import Generations, new_version
from .readindex import ReadIndex
from .search import calibrate
from .writer import Writer


def publish(writer: Writer, embedder: VectorEmbeddings) -> tuple[str, float]:
    """Build, save and calibrate the read index of what ``writer``'s generation has
    committed: the new corpus version and its abstention threshold, for the caller to announce."""
    directory = writer.chroma.settings.read_index_dir
    index = ReadIndex.build(writer, new_version(), (embedder.name, embedder.dim),
                            ReadIndex.load(directory) if directory else None)
    index.save_quietly(directory)
    return index.version, calibrate(index, embedder)


def announce(writer: Writer, embedder: VectorEmbeddings, summary: str) -> None:
    """Publish the committed state of the live generation and announce it."""
    version, threshold = publish(writer, embedder)
    Generations(writer.chroma).bump_version(summary, version, threshold)


def switch(writer: Writer, embedder: VectorEmbeddings, summary: str) -> None:
    """Publish a fully written new generation and make it the live one (rebuild, import)."""
    version, threshold = publish(writer, embedder)
    Generations(writer.chroma).switch_to(writer.generation, embedder.name, embedder.dim, summary, version, threshold)
