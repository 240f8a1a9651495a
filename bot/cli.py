"""absatz command line: thin subcommands over ingest, search and answer.

Every subcommand takes the store options, so tests and benchmarks can point one call
at a temporary store without touching the environment.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from dotenv import load_dotenv

from ingest.lock import IngestBusy, IngestLock, lock_path
from ingest.pipeline import IngestReport, ingest_paths, report_summary
from ingest.settings import IngestSettings
from vectorstore.dates import DateRange
from vectorstore.embeddings import EmbedderError, load_embedder
from vectorstore.records import citation_id, parse_citation_id
from vectorstore.search import Searcher
from vectorstore.settings import SettingsError, StoreSettings
from vectorstore.store import Store, StoreError, UnknownCitation

from . import render
from .answer import answer
from .audit import AuditLog
from .settings import BotSettings

log = logging.getLogger("absatz")


class UsageError(Exception):
    """Bad input from the user: one line on stderr, exit status 2."""


def _store_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("store (override CHROMA_* / EMBEDDING_MODEL for this call)")
    g.add_argument("--chroma-path", type=Path, help="embedded store folder (CHROMA_PATH)")
    g.add_argument("--chroma-host", help="use the Chroma server at this host (CHROMA_HOST)")
    g.add_argument("--chroma-port", type=int, help="Chroma server port (CHROMA_PORT)")
    g.add_argument("--collection", help="collection name (CHROMA_COLLECTION)")
    g.add_argument("--embedding-model", help="embedder (EMBEDDING_MODEL)")
    return p


def store_settings(args: argparse.Namespace) -> StoreSettings:
    return StoreSettings.from_env().with_overrides(
        chroma_path=args.chroma_path,
        chroma_host=args.chroma_host,
        chroma_port=args.chroma_port,
        collection=args.collection,
        embedding_model=args.embedding_model,
    )


def _inputs(value: str | None) -> Iterator[str]:
    """The one question given, or one per non-empty stdin line (one model load for all)."""
    if value is not None:
        yield value
        return
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\n")


# --- subcommands -----------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = store_settings(args)
    ingest_settings = IngestSettings.from_env()
    paths = args.paths or [ingest_settings.corpus_dir]
    store = Store(settings)
    embedder = load_embedder(settings.embedding_model, settings.embedding_device)
    bar = None
    if not args.json and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=0, unit="article", file=sys.stderr)

    def progress(done: int, total: int, paragraphs: int) -> None:
        """A progress bar on a terminal; nothing with --json or when piped."""
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.set_postfix(paragraphs_embedded=paragraphs)
            bar.refresh()

    who = f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or 'unknown'}"
    audit = AuditLog(BotSettings.from_env(store=settings).bot_db)
    try:
        with IngestLock(lock_path(settings), f"{who} (absatz ingest, pid {os.getpid()})"):
            report = ingest_paths(store, embedder, paths, ingest_settings.max_file_bytes, progress,
                                  full_rebuild=args.rebuild)
    except IngestBusy as exc:
        audit.record(who, "ingest", " ".join(map(str, paths)), f"refused: {exc}")
        raise UsageError(str(exc)) from None
    finally:
        if bar:
            bar.close()
    audit.record(who, "rebuild" if args.rebuild else "ingest", " ".join(map(str, paths)), report_summary(report))
    _print_report(report, args.json)
    return 1 if report.failed else 0


def _print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    print(f"{report_summary(report)}; {report.paragraphs_embedded} paragraphs embedded in {report.seconds:.1f} s")
    for failure in report.failed:
        print(f"  failed: {failure}", file=sys.stderr)


def _dates(args: argparse.Namespace) -> DateRange | None:
    try:
        return DateRange.parse(args.since, args.until)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _llm():
    """The configured chat model (LLM_MODEL), or None: then answers are extractive."""
    from .llm import LLMAnswerer, LLMSettings

    settings = LLMSettings.from_env()
    return LLMAnswerer(settings) if settings.enabled else None


def _bold() -> tuple[str, str]:
    """ANSI bold for the answer span on a terminal; plain text when piped."""
    return ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")


def cmd_ask(args: argparse.Namespace) -> int:
    dates = _dates(args)
    searcher = Searcher.open(store_settings(args))
    searcher.store.require()
    llm = _llm()
    for question in _inputs(args.question):
        result = answer(searcher, question, k=args.k, dates=dates, llm=llm)
        if args.json:
            print(json.dumps(result.as_dict(), ensure_ascii=False), flush=True)
        else:
            print(render.answer_text(result, bold=_bold()), end="\n\n" if args.question is None else "\n", flush=True)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    dates = _dates(args)
    searcher = Searcher.open(store_settings(args))
    searcher.store.require()
    for query in _inputs(args.query):
        result = searcher.search(query, k=args.k, dates=dates)
        if args.json:
            hits = [
                {
                    "id": h.para_id,
                    "article_id": h.article_id,
                    "paragraph": h.paragraph,
                    "title": h.title,
                    "date": h.date,
                    "heading": h.heading,
                    "score": round(h.score, 4),
                    "dense": round(h.dense, 4),
                    "lexical": round(h.lexical, 4),
                    "sentence": h.sentences[0].text if h.sentences else "",
                }
                for h in result.hits
            ]
            print(json.dumps({"query": query, "hits": hits}, ensure_ascii=False), flush=True)
        else:
            print(render.hits_text(result.hits), flush=True)
    return 0


def _neighbour(store: Store, article_id: str, n: int):
    if n < 1:
        return None
    try:
        return store.paragraph(citation_id(article_id, n))
    except UnknownCitation:
        return None


def cmd_source(args: argparse.Namespace) -> int:
    try:
        article_id, n = parse_citation_id(args.id)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    store = Store(store_settings(args))
    store.require()
    try:
        p = store.paragraph(args.id)
    except UnknownCitation as exc:
        raise UsageError(str(exc)) from None
    before, after = _neighbour(store, article_id, n - 1), _neighbour(store, article_id, n + 1)
    if args.json:
        print(json.dumps({
            **asdict(p),
            "before": asdict(before) if before else None,
            "after": asdict(after) if after else None,
        }, ensure_ascii=False))
    else:
        print(render.paragraph_text(p, before, after))
    return 0


def _slice(value: str) -> slice:
    """``START:STOP:STEP`` as Python writes it (``1::3``: every third article from the second)."""
    try:
        parts = [int(p) if p.strip() else None for p in value.split(":")]
        if not 2 <= len(parts) <= 3 or parts[2:3] == [0]:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a slice like 1::3") from None
    return slice(*parts)


def cmd_eval(args: argparse.Namespace) -> int:
    import tempfile

    from ingest.pipeline import apply
    from ingest.sources import load_articles

    from .evaluate import evaluate

    try:
        questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read questions from {args.questions}: {exc}") from None
    settings = store_settings(args)
    if args.build:
        articles, failures = load_articles([args.build])
        if failures:
            raise UsageError(f"{failures[0]}")
        articles = articles[args.slice or (slice(None, None, 2) if args.half else slice(None))]
        if args.chroma_path is None:  # a throw-away index; with --chroma-path it is kept and reused
            settings = settings.with_overrides(chroma_path=Path(tempfile.mkdtemp(prefix="absatz-eval-")) / "chroma",
                                               chroma_host="", collection="eval")
        searcher = Searcher.open(settings)
        apply(Store(settings), searcher.embedder, articles)
    else:
        searcher = Searcher.open(settings)
        searcher.store.require()
    rows = []
    for language in args.lang:
        report = evaluate(searcher, questions, language,
                          unanswerable=args.unanswerable or args.half or args.slice is not None)
        row = {"lang": language, **report.as_dict()}
        if args.misses:
            row["misses"] = [m.as_dict() for m in report.misses]
        rows.append(row)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    keys = [k for k in rows[0] if k != "misses"]
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row.get(k, "")) for k in keys))
    for row in rows if args.misses else []:
        print(f"\nmisses ({row['lang']}):")
        for m in row["misses"]:
            print(f"- [{m['type']}] {m['question']}\n    gold: {' | '.join(m['gold'])}  ({m['gold_id']})\n"
                  f"    got:  {m['answer']}  ({m['cited'] or 'no citation'})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from vectorstore.transfer import export

    with args.file.open("w", encoding="utf-8") as out:
        counts = export(Store(store_settings(args)), out)
    print(json.dumps({"file": str(args.file), **counts}))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from vectorstore.transfer import import_into

    if not args.file.exists():
        raise UsageError(f"{args.file}: no such file")
    counts = import_into(Store(store_settings(args)), args.file)
    print(json.dumps({"file": str(args.file), **counts}))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    entries = AuditLog(BotSettings.from_env(store=store_settings(args)).bot_db).recent(args.n)
    for e in reversed(entries):
        if args.json:
            print(json.dumps(e.as_dict(), ensure_ascii=False))
        else:
            print(f"{render.when(e.at)}  {e.actor}  {e.action} {e.target}  →  {e.result}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    settings = store_settings(args)
    store = Store(settings)
    meta = store.meta
    stats = {
        **store.counts(),
        "embedder": meta.get("embedder", ""),
        "store": settings.location,
        "last_ingest": render.when(meta.get("last_ingest")),
        "last_ingest_summary": meta.get("last_ingest_summary", ""),
    }
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
    else:
        for key, value in stats.items():
            print(f"{key:>20}: {value}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import aiohttp
    import discord

    from .app import create_bot

    settings = BotSettings.from_env(store=store_settings(args))
    if not settings.discord_token:
        raise UsageError("DISCORD_TOKEN is not set (environment or .env); see README, 'Discord bot'")
    bot = create_bot(settings)
    try:
        bot.run(settings.discord_token, log_handler=None)
    except discord.LoginFailure:
        # Never echo the token: name the setting instead.
        raise UsageError("Discord rejected DISCORD_TOKEN; create a new token in the developer portal") from None
    except discord.PrivilegedIntentsRequired:
        raise UsageError("enable the Message Content intent for the bot in the developer portal (see README)") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise UsageError(f"cannot reach Discord: {exc}") from None
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """A console chat: the same answers the bot gives, follow-ups included."""
    searcher = Searcher.open(store_settings(args))
    searcher.store.require()
    history: list[str] = []
    llm = _llm()
    print("absatz chat — ask in German or English; empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        result = answer(searcher, question, k=args.k, history=history[-2:], llm=llm)
        history.append(question)
        print(render.answer_text(result, bold=_bold()), end="\n\n", flush=True)
    return 0


# --- entry point -----------------------------------------------------------------


def _date_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="YYYY-MM[-DD]", help="only articles from this date on")
    p.add_argument("--until", metavar="YYYY-MM[-DD]", help="only articles up to this date")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="absatz", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _store_options()

    p = sub.add_parser("ingest", parents=[common], help="add or update articles (incremental)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: CORPUS_DIR)")
    p.add_argument("--rebuild", action="store_true",
                   help="re-embed everything into a new index and switch to it when complete")
    p.add_argument("--json", action="store_true", help="print one JSON summary object")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", parents=[common], help="answer a question with citations")
    p.add_argument("question", nargs="?", help="the question (default: one per stdin line)")
    p.add_argument("--json", action="store_true")
    p.add_argument("-k", type=int, default=5, help="paragraphs to retrieve (default 5)")
    _date_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("search", parents=[common], help="ranked paragraphs, no answer")
    p.add_argument("query", nargs="?", help="the query (default: one per stdin line)")
    p.add_argument("--json", action="store_true")
    p.add_argument("-k", type=int, default=5, help="results (default 5)")
    _date_options(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("source", parents=[common], help="the paragraph behind a citation id")
    p.add_argument("id", help="citation id, e.g. 000_a05d8c91f093345a#2")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_source)

    p = sub.add_parser("chat", parents=[common], help="console chat with follow-up questions")
    p.add_argument("-k", type=int, default=5, help="paragraphs to retrieve (default 5)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", parents=[common], help="run the Discord bot (needs DISCORD_TOKEN)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", parents=[common], help="measure answers against gold questions")
    p.add_argument("questions", type=Path, help="JSONL: question, question_en, article_id, paragraph, answers")
    p.add_argument("--lang", nargs="+", choices=["de", "en"], default=["de"],
                   help="de: the question field; en: question_en (English over the German corpus)")
    p.add_argument("--unanswerable", action="store_true",
                   help="questions whose article is not indexed must abstain; report both shares")
    p.add_argument("--build", type=Path, metavar="ARTICLES",
                   help="evaluate on an index of these articles (temporary unless --chroma-path names one to keep)")
    p.add_argument("--half", action="store_true",
                   help="with --build: index every second article, the rest become unanswerable")
    p.add_argument("--slice", type=_slice, metavar="START:STOP:STEP",
                   help="with --build: index these articles (e.g. 1::3), the rest become unanswerable")
    p.add_argument("--misses", action="store_true", help="list the questions whose answer missed the gold answer")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("export", parents=[common], help="write the index with its vectors to a JSONL file")
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", parents=[common], help="load an export into this store (no re-embedding)")
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("audit", parents=[common], help="the admin audit log (BOT_DB)")
    p.add_argument("-n", type=int, default=50, help="newest N entries (default 50)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("stats", parents=[common], help="what the index holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    load_dotenv(Path.cwd() / ".env")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if getattr(args, "k", 1) < 1:
        print("absatz: error: -k must be at least 1", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (UsageError, SettingsError, StoreError, EmbedderError) as exc:
        print(f"absatz: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Chroma's own errors (a damaged or read-only store): one line, no traceback.
        if type(exc).__module__.startswith("chromadb"):
            print(f"absatz: error: the store failed: {exc}", file=sys.stderr)
            return 2
        raise
    except BrokenPipeError:
        # The reader went away (`absatz ask … | head`): stop quietly, like other tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
