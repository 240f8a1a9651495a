"""absatz as a library: one object to ask, search, look sources up and change the corpus.

    from absatz import Absatz

    with Absatz.open() as absatz:           # the store named by CHROMA_PATH / CHROMA_HOST
        answer = absatz.ask("Wie weit flogen die Raketen?")
        print(answer.answer, answer.citations[0].id)

The command line and the Discord bot are thin front ends over this class: they parse
input and render what it returns. Everything is opened lazily — the embedder and the
read index on the first question, the SQLite records on the first write — so a process
that only ingests never loads an index, and one that only answers never takes a lock.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from ingest.pipeline import IngestReport, Progress, summary_counts
from vectorstore.chroma import Chroma
from vectorstore.dates import DateRange
from vectorstore.embeddings import VectorEmbeddings
from vectorstore.errors import NoIndex, RecordsUnusable, SettingsError, UnknownCitation
from vectorstore.filters import Filter
from vectorstore.generations import Generations
from vectorstore.publish import IMPORTED, REMOVED
from vectorstore.readindex import Reader, ReadIndex
from vectorstore.records import ArticleSummary, Hit, ParagraphView, citation_id, parse_citation_id
from vectorstore.related import related
from vectorstore.search import Searcher
from vectorstore.text import query_terms, tokenize, without_bidi

from .analytics import Analytics, summarise
from .answer import Answer, answer, has_words
from .answer_scorer import CONTEXT_WEIGHTS, AnswerScorer, scorer
from .conversation import follow_up_context
from .corpus import Corpus, Removal, Upload
from .db.audit import AuditLog
from .db.feedback import FeedbackStore
from .db.scopes import ScopeStore
from .env_file import problem
from .gaps import Gap, find_gaps
from .llm import LLMAnswerer
from .query_tower import question_order
from .question_text import search_text
from .scopes import Scope, make_scope
from .settings import Settings


def _check_count(k: int) -> None:
    """A count below one is a caller's mistake, said so: 0 found nothing and -1 sliced
    the ranking to all but its last paragraph, both in silence."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a whole number of at least 1, not {k!r}")


@dataclass(frozen=True)
class Matches:
    """A search's ranked paragraphs, and whether the best is close enough that an answer
    would cite it: a search for nonsense still ranks whatever is nearest."""

    hits: list[Hit]
    close: bool


@dataclass(frozen=True)
class SourceView:
    """A cited paragraph as ``/source`` and ``absatz source`` show it, with its neighbours."""

    paragraph: ParagraphView
    before: ParagraphView | None
    after: ParagraphView | None


@dataclass(frozen=True)
class QuotedSource:
    """What an answer's source button shows: the paragraph that holds the quote the
    answer showed, which after a re-ingest may no longer be the cited one."""

    view: SourceView
    cited: int  # the paragraph number the answer cited
    quote_found: bool  # False: no paragraph of the article holds the quote now; view is the cited one

    @property
    def moved(self) -> bool:
        """The article changed: the quote is now in another paragraph than the cited one."""
        return self.quote_found and self.view.paragraph.paragraph != self.cited


def quote_parts(quote: str) -> list[str]:
    """What of a shown quote must be found in a paragraph, whitespace normalised: its
    parts between ellipses. An ellipsis marks the sentences a quote leaves out between
    those it cites, and the end of a quote shortened to fit; every part it shows must
    still be there for the quote to be."""
    return [part for part in (p.strip() for p in " ".join(without_bidi(quote).split()).split("…")) if part]


def holds(text: str, parts: list[str]) -> bool:
    """``text`` contains every one of ``parts`` (:func:`quote_parts`), whitespace normalised
    and without the bidirectional controls, which Discord's quotes leave out."""
    flat = " ".join(without_bidi(text).split())
    return bool(parts) and all(part in flat for part in parts)


if TYPE_CHECKING:
    from .retriever import AbsatzRetriever

T = TypeVar("T")

# How long a BOT_DB that could not be opened is taken as unusable before the next try.
RECORDS_RETRY_S = 30.0


@dataclass(frozen=True)
class Stats:
    articles: int
    paragraphs: int
    passages: int
    sentences: int
    embedder: str
    store: str
    last_ingest: float | None
    last_ingest_summary: str

    @property
    def last_change(self) -> tuple[str, dict[str, Any]] | None:
        """The stored line of the index's last change as a key of :mod:`absatz.texts` and
        its values, for a reader of another language than the line's English: an ingest's
        counts by name, the article a ``/remove`` took out, the file an import read.
        None for a line of no known form (a store written by another version)."""
        summary = self.last_ingest_summary.strip()
        if (counts := summary_counts(summary)) is not None:
            return "stats_ingest_counts", counts
        for key, prefix in (("stats_removed", REMOVED), ("stats_imported", IMPORTED)):
            if summary.startswith(prefix) and summary[len(prefix) :].strip():
                return key, {"what": summary[len(prefix) :]}
        return None


def period(since: str | None, until: str | None) -> DateRange | None:
    """``since``/``until`` as people type them (``YYYY-MM[-DD]``); ``BadDate`` otherwise."""
    return DateRange.parse(since, until)


class Absatz:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        searcher: Searcher | None = None,
        embedder: VectorEmbeddings | None = None,
        llm: LLMAnswerer | None = None,
    ):
        self.settings = settings or Settings.from_env()
        self._searcher = searcher
        self._embedder = embedder or (searcher.embedder if searcher else None)
        self._llm = llm
        # Each opened once, under a lock of its own: opening a store waits for another
        # process's lock on BOT_DB (SQLite's 10 s), and the event loop reads the chat model.
        self._records_lock = threading.Lock()
        # When BOT_DB last could not be opened, and why: until RECORDS_RETRY_S later every
        # caller is told so at once. Each message of every channel reads its scope, and
        # each open waited SQLite's 10 s in the record threads, votes queued behind them.
        self._records_down: tuple[float, RecordsUnusable] | None = None
        self._llm_lock = threading.Lock()
        # The index apart: opening it may wait out a hung Chroma server (CHROMA_TIMEOUT_S,
        # twice), and the event loop must not wait with it for a channel's scope.
        self._searcher_lock = threading.Lock()
        self._titles: tuple[str, dict[str, str]] = ("", {})
        self._audit: AuditLog | None = None
        self._feedback: FeedbackStore | None = None
        self._scopes: ScopeStore | None = None

    @classmethod
    def open(cls, settings: Settings | None = None, **kwargs: Any) -> Absatz:
        """Without ``settings``, those of the environment and the working directory's
        ``.env``, as the command line reads them (the README's example had read the
        environment alone, and said "no index" of the store ``.env`` names)."""
        if settings is None:
            from dotenv import load_dotenv

            if (unreadable := problem(Path.cwd() / ".env")) is not None:
                raise SettingsError(unreadable)
            load_dotenv(Path.cwd() / ".env")
            settings = Settings.from_env()
        return cls(settings, **kwargs)

    def __enter__(self) -> Absatz:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what is opened lazily --------------------------------------------------------

    @property
    def searcher(self) -> Searcher:
        """The embedder and the read index of the store, opened on first use."""
        with self._searcher_lock:
            if self._searcher is None:
                self.require_index()
                self._searcher = Searcher.open(self.settings.store, self._embedder, question_order)
                self._embedder = self._searcher.embedder
            return self._searcher

    @property
    def answer_scorers(self) -> tuple[AnswerScorer, AnswerScorer]:
        """The cross-encoders that pick the answer sentences (the second reads the
        sentence before too), loaded once per process."""
        return scorer(), scorer(CONTEXT_WEIGHTS)

    @property
    def embedder(self) -> VectorEmbeddings:
        return self.searcher.embedder

    @property
    def llm(self) -> LLMAnswerer | None:
        """The configured chat model (``LLM_MODEL``), or None: then answers are extractive."""
        with self._llm_lock:
            if self._llm is None and self.settings.llm.enabled:
                self._llm = LLMAnswerer(self.settings.llm)
            return self._llm

    def _opened(self, name: str, open_store: Callable[[Path], T]) -> T:
        """The record store of ``BOT_DB`` kept as attribute ``name``, opened once under the
        records' lock, which only an open takes: opening waits for another process's lock
        on the file (SQLite's 10 s), and a store already open must not wait with it."""
        store: T | None = getattr(self, name)
        if store is None:
            self._raise_if_records_down()
            with self._records_lock:
                store = getattr(self, name)
                if store is None:
                    self._raise_if_records_down()  # another caller found it so meanwhile
                    try:
                        store = open_store(self.settings.db)
                    except RecordsUnusable as exc:
                        self._records_down = (time.monotonic(), exc)
                        raise
                    self._records_down = None
                    setattr(self, name, store)
        return store

    def _raise_if_records_down(self) -> None:
        down = self._records_down
        if down is not None and time.monotonic() - down[0] < RECORDS_RETRY_S:
            raise copy.copy(down[1])  # without the first caller's traceback

    @property
    def audit(self) -> AuditLog:
        return self._opened("_audit", AuditLog)

    @property
    def feedback(self) -> FeedbackStore:
        return self._opened("_feedback", FeedbackStore)

    @property
    def corpus(self) -> Corpus:
        """The writer's side; it shares this object's embedder once one is loaded."""
        loaded = self._searcher.embedder if self._searcher is not None else None
        return Corpus(self.settings, self.audit, (lambda: loaded) if loaded else None)

    def require_index(self) -> None:
        """Raise :class:`NoIndex` unless the store holds an index — without creating one
        where a mistyped ``CHROMA_PATH`` points."""
        store = self.settings.store
        # Chroma's own database file: opening an existing folder without it (``.``, a typo
        # that names another folder) would leave a new, empty database there.
        if not store.chroma_host and not (store.chroma_path / "chroma.sqlite3").is_file():
            raise NoIndex.at(store.location)
        if not Generations(Chroma(store)).read().exists:
            raise NoIndex.at(store.location)

    # --- reading ----------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        history: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        scope: Scope | None = None,
        k: int = 5,
        on_text: Callable[[str], None] | None = None,
        reader: str = "de",
        title: str = "",
    ) -> Answer:
        """A cited answer (or "not in the corpus"); ``history`` holds a conversation's
        earlier questions, ``scope`` a channel's slice of the corpus, ``on_text``
        receives an LLM's reply as it streams, ``reader`` is the asker's language for
        fixed texts when the question's words do not say (keywords), ``title`` what the
        question is asked under (a forum post's title)."""
        _check_count(k)
        if isinstance(history, str):  # one earlier question, not one per character
            history = [history]
        return answer(
            self.searcher,
            question,
            k=k,
            # A conversation read as the bot and the chat read one: an app that passes all
            # its user's questions had had each searched again for every answer.
            history=follow_up_context(history, history[0] if history else ""),
            where=self.where(since, until, scope),
            llm=self.llm,
            on_text=on_text,
            reader=reader,
            title=title,
        )

    def search(
        self, query: str, *, k: int = 5, since: str | None = None, until: str | None = None, scope: Scope | None = None
    ) -> Matches:
        """Ranked paragraphs, no answer; none for a query without a word (whatever came
        first would be ranked, at full score)."""
        _check_count(k)
        if not has_words(query):
            return Matches([], False)
        # searched as ``ask`` searches it, so "close" means an answer would cite the best;
        # keywords ("Tempo 30") are no question, and close too when the best holds them all
        text = search_text(query)
        result = self.searcher.search(text, k=k, where=self.where(since, until, scope))
        if not result.hits:
            return Matches([], False)
        terms = set(query_terms(text))
        held = bool(terms) and terms <= set(tokenize(" ".join(s.text for s in result.hits[0].sentences)))
        return Matches(result.hits, result.evidence >= result.threshold or held)

    def as_retriever(self, k: int = 5, since: str | None = None, until: str | None = None) -> AbsatzRetriever:
        """The search as a LangChain retriever: each paragraph a ``Document`` with its
        citation id, article, title, date, heading and score as metadata."""
        from .retriever import AbsatzRetriever

        _check_count(k)
        return AbsatzRetriever(absatz=self, k=k, since=since, until=until)

    @staticmethod
    def where(since: str | None = None, until: str | None = None, scope: Scope | None = None) -> Filter:
        """What a search may see: the dates asked for, within a channel's scope (whose
        rolling window starts from today)."""
        dates = period(since, until)
        if scope is not None:
            window = scope.period(dt.date.today())
            if window is not None:
                dates = DateRange(max(window.since, dates.since if dates else 0), dates.until if dates else 0)
            return Filter(dates, scope.categories, scope.sources)
        return Filter(dates)

    def facets(self) -> tuple[set[str], set[str]]:
        """The categories and sources the corpus holds now, as spelled there: a removed or
        replaced article's row stays in its segment until a merge."""
        vectors = self.searcher.view().index.vectors
        articles = [m for m, live in zip(vectors.article_meta, vectors.live_articles(), strict=True) if live]
        return {a.category for a in articles if a.category}, {a.source for a in articles if a.source}

    def make_scope(self, categories: str | None, sources: str | None, since: str | None, mode: str | None) -> Scope:
        """A channel scope from what an admin typed, checked against the corpus."""
        known_categories, known_sources = self.facets()
        return make_scope(categories, sources, since, mode, known_categories, known_sources)

    def source(self, cid: str) -> SourceView:
        """The paragraph behind a citation id, with the ones before and after it."""
        return self._source(self.searcher.view().index, cid)

    @staticmethod
    def _source(index: ReadIndex, cid: str) -> SourceView:
        article_id, n = parse_citation_id(cid)
        paragraph = index.paragraph(cid)

        def neighbour(m: int) -> ParagraphView | None:
            try:
                return index.paragraph(citation_id(article_id, m)) if m >= 1 else None
            except UnknownCitation:
                return None

        return SourceView(paragraph, neighbour(n - 1), neighbour(n + 1))

    @staticmethod
    def _find_paragraph(index: ReadIndex, article_id: str, text: str, near: int | None) -> ParagraphView | None:
        """The paragraph of the article, as it is now, that contains ``text`` (compared
        whitespace normalised, each part between ellipses on its own): of several, the
        one nearest paragraph ``near``, since an edit moves a quote only a little."""
        parts = quote_parts(text)
        if not parts:
            return None
        vectors = index.vectors
        row = vectors.article_row(article_id)
        if row is None:
            return None
        first, end = vectors.article_paragraphs(row)
        numbers = sorted(int(vectors.para_number[r]) for r in range(first, end))
        if near is not None:
            numbers.sort(key=lambda m: abs(m - near))
        for m in numbers:
            try:
                paragraph = index.paragraph(citation_id(article_id, m))
            except UnknownCitation:
                continue
            if holds(paragraph.text, parts):
                return paragraph
        return None

    def source_of_quote(self, cid: str, quote: str) -> QuotedSource:
        """What an answer's source button shows for citation ``cid`` whose quote the
        answer showed: the cited paragraph while it holds the quote; after the article
        changed, the paragraph that holds it now (``moved``), or the cited paragraph as it
        is now when none does (``quote_found`` False). :class:`UnknownCitation` when
        neither the quote nor the cited paragraph is there any more."""
        article_id, n = parse_citation_id(cid)
        index = self.searcher.view().index  # one version of the corpus for both look-ups
        if not quote_parts(quote):
            return QuotedSource(self._source(index, cid), n, True)
        found = self._find_paragraph(index, article_id, quote, n)
        if found is None:
            return QuotedSource(self._source(index, cid), n, False)
        return QuotedSource(self._source(index, found.para_id), n, True)

    def article(self, article_id: str) -> ArticleSummary:
        return self.searcher.view().index.article(article_id.strip())  # as source reads an id

    def related(self, article_id: str, k: int = 5) -> list[ArticleSummary]:
        """Articles on the same subject, newest first."""
        _check_count(k)
        return related(self.searcher.view().index, article_id.strip(), k)

    def titles(self) -> dict[str, str]:
        """Article id → title (for autocomplete), built once per corpus version."""
        index = self.searcher.view().index
        if self._titles[0] != index.version:
            self._titles = (index.version, index.article_titles())
        return self._titles[1]

    def _reader(self) -> Reader:
        """The searcher's reader when one is open (its index is loaded already); otherwise
        one of its own, so that stats need no embedder (nor one that matches the store)."""
        return self._searcher.reader if self._searcher is not None else Reader(Chroma(self.settings.store))

    def stats(self) -> Stats:
        self.require_index()
        view = self._reader().view()
        counts = view.index.counts()
        return Stats(
            counts.articles,
            counts.paragraphs,
            counts.passages,
            counts.sentences,
            embedder=view.pointer.embedder,
            store=self.settings.store.location,
            last_ingest=view.pointer.last_ingest,
            last_ingest_summary=view.pointer.last_ingest_summary,
        )

    def stored_paths(self) -> dict[str, str]:
        """Article id → the file it was ingested from; none in a store never ingested into
        (an upload may be its first article)."""
        try:
            self.require_index()  # a mistyped CHROMA_PATH is no new store
            return self._reader().view().index.article_paths()
        except NoIndex:
            return {}

    # --- changing the corpus (one write protocol: absatz.corpus) ------------------------

    def ingest(
        self,
        paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str] | None = None,
        *,
        actor: str,
        action: str = "ingest",
        progress: Progress | None = None,
        rebuild: bool = False,
        isolated: bool = False,
    ) -> IngestReport:
        """Ingest files or folders (default ``CORPUS_DIR``; one may be given alone, an empty
        list ingests nothing): only what changed is embedded. ``isolated`` runs the work in
        a child process (what the bot does)."""
        if isinstance(paths, str | os.PathLike):  # a folder had been read as one path per character
            paths = [paths]
        return self.corpus.ingest(
            None if paths is None else [Path(p) for p in paths],
            actor=actor,
            action=action,
            progress=progress,
            rebuild=rebuild,
            isolated=isolated,
        )

    def upload(
        self,
        name: str,
        data: bytes | str,
        *,
        actor: str,
        isolated: bool = False,
        on_written: Callable[[Path], None] | None = None,
    ) -> Upload:
        """A file's bytes (or its text, stored as UTF-8), checked, written into the corpus
        folder and ingested; a rejected or failed upload changes nothing. ``on_written``:
        see :meth:`Corpus.upload`."""
        if isinstance(data, str):  # had been a TypeError from deep inside the checks
            data = data.encode("utf-8")
        return self.corpus.upload(
            name, data, actor=actor, stored_paths=self.stored_paths(), isolated=isolated, on_written=on_written
        )

    def remove(self, article_id: str, *, actor: str) -> Removal:
        self.require_index()  # nothing to remove from, and no store made where a mistyped path points
        return self.corpus.remove(article_id, actor=actor)

    def export(self, out: TextIO) -> dict[str, int]:
        """Every record with its vector, the embedder and calibration: see ``import_``."""
        from vectorstore.transfer import export

        self.require_index()
        return export(Chroma(self.settings.store), out)

    def import_(self, path: str | os.PathLike[str], *, actor: str, replace: bool = False) -> dict[str, int]:
        """An export (see ``export``) as the store's index; into a store that holds
        articles only with ``replace``, whose count the result then holds (``replaced``)."""
        return self.corpus.import_(Path(path), actor=actor, replace=replace)

    # --- what the community asked (issue: coverage gaps, analytics) ---------------------

    @property
    def scopes(self) -> ScopeStore:
        """Channel scopes set by admins (the bot's SQLite)."""
        return self._opened("_scopes", ScopeStore)

    def gaps(self, days: int = 7, guild_id: int | None = None) -> list[Gap]:
        """The period's questions the bot refused or got 👎 for, grouped by meaning."""
        asked = self.feedback.questions_since(time.time() - days * 86400, guild_id)
        embedder = self.embedder
        return find_gaps(asked, embedder.embed_questions)

    def analytics(self, days: int = 7, guild_id: int | None = None) -> Analytics:
        """Questions per day, answered vs refused, votes, latency, busiest channels."""
        today = dt.datetime.now(dt.UTC).date()
        asked = self.feedback.questions_since(time.time() - (days + 1) * 86400, guild_id)
        return summarise(asked, today, days)

    def close(self) -> None:
        for db in (self._audit, self._feedback, self._scopes):
            if db is not None:
                db.close()
