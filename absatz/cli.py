"""``absatz …``: subcommands that parse arguments, call :class:`~absatz.api.Absatz` and render.

Every subcommand takes the store options, so tests and benchmarks can point one call at
a temporary store without touching the environment. Errors of the
:class:`~vectorstore.errors.AbsatzError` tree become one line on stderr and exit status
2 (:func:`main`); a reader that goes away (``| head``) ends the output quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO, TypedDict

from dotenv import load_dotenv

from ingest.parse import jsonl_lines
from ingest.pipeline import IngestReport, RebuildRefused, report_summary
from vectorstore.errors import AbsatzError, BadDate, EmbedderError, NoIndex
from vectorstore.text import one_line

from . import cli_live, render
from .answer import MAX_QUESTION
from .api import Absatz, period
from .conversation import follow_up_context, is_remark
from .corpus import cli_actor
from .settings import Settings

log = logging.getLogger("absatz")


class UsageError(AbsatzError):
    """Bad input on the command line."""


def _store_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("store (override CHROMA_* / EMBEDDING_MODEL for this call)")
    g.add_argument("--chroma-path", type=_path, help="embedded store folder (CHROMA_PATH)")
    g.add_argument("--chroma-host", type=_named, help="use the Chroma server at this host (CHROMA_HOST)")
    g.add_argument("--chroma-port", type=int, help="Chroma server port (CHROMA_PORT)")
    g.add_argument("--collection", type=_named, help="collection name (CHROMA_COLLECTION)")
    g.add_argument("--embedding-model", type=_named, help="embedder (EMBEDDING_MODEL)")
    return p


def _named(value: str) -> str:
    """An option that names a store, server, collection or model: an empty one would not
    fall back to the setting but name nothing (``--collection ""`` found no index,
    ``--chroma-host ""`` quietly meant the embedded store)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return value


def _path(value: str) -> Path:
    """As :func:`_named`: ``Path("")`` would quietly be the working directory; a quoted
    ``'~/absatz'`` is the home folder's, as the shell reads it unquoted."""
    return Path(_named(value)).expanduser()


# A refused store option is named as it was typed.
STORE_OPTIONS = {
    "chroma_path": "--chroma-path",
    "chroma_host": "--chroma-host",
    "chroma_port": "--chroma-port",
    "collection": "--collection",
}


def settings_for(args: argparse.Namespace) -> Settings:
    return Settings.from_env().with_store(
        STORE_OPTIONS,
        chroma_path=args.chroma_path,
        chroma_host=args.chroma_host,
        chroma_port=args.chroma_port,
        collection=args.collection,
        embedding_model=args.embedding_model,
    )


def _absatz(args: argparse.Namespace) -> Absatz:
    return Absatz(settings_for(args))


def _inputs(value: str | None) -> Iterator[str]:
    """The one question given, or one per non-empty stdin line (one model load for all)."""
    if value is not None:
        yield value
        return
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\r\n")  # a file saved on Windows: the query echoed without its "\r"


class _Period(TypedDict):
    since: str | None
    until: str | None


def _dates(args: argparse.Namespace) -> _Period:
    """``--since``/``--until``, checked here so an error names the option."""
    for option, value in (("--since", args.since), ("--until", args.until)):
        try:
            period(value, None)
        except BadDate as exc:
            raise UsageError(f"{option} {exc}") from None
    period(args.since, args.until)  # an empty period
    return {"since": args.since, "until": args.until}


def _bold() -> tuple[str, str]:
    """ANSI bold for the answer span on a terminal; plain text when piped, and where the
    user asks for it (``NO_COLOR``, no-color.org) or the terminal shows no bold (``TERM=dumb``)."""
    plain = os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb"
    return ("\033[1m", "\033[0m") if sys.stdout.isatty() and not plain else ("", "")


def _print_json(obj: object, file: TextIO | None = None) -> None:
    print(json.dumps(obj, ensure_ascii=False), file=file, flush=True)


# --- subcommands -----------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    absatz = _absatz(args)
    urls = [p for p in args.paths if cli_live.is_url(p)]
    if urls:  # web articles: fetched, extracted, written into CORPUS_DIR/web/ and ingested
        if len(urls) < len(args.paths) or args.rebuild:
            raise UsageError("give either URLs or files/folders to ingest, and no --rebuild with URLs")
        return cli_live.ingest_urls(args, absatz, urls)
    args.paths = [Path(p) for p in args.paths]
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

    try:
        report = absatz.ingest(args.paths or None, actor=cli_actor(), progress=progress, rebuild=args.rebuild)
        summary = (
            f"{report_summary(report)}; {report.paragraphs_embedded} paragraphs embedded in {report.seconds:.1f} s"
        )
    except RebuildRefused as refused:
        if not refused.failed:  # nothing found at all: an error, not a report
            raise
        report = IngestReport(failed=list(refused.failed))
        summary = "rebuild stopped, the index is unchanged"
    finally:
        if bar:
            bar.close()
    if args.json:
        _print_json(report.as_dict())
    else:
        print(summary)
        for line in render.report_notes(report):
            print(line, file=sys.stderr)
    return 1 if report.failed else 0


def cmd_ask(args: argparse.Namespace) -> int:
    dates = _dates(args)
    absatz = _absatz(args)
    for question in _inputs(args.question):
        result = absatz.ask(question, k=args.k, **dates)
        if args.json:
            _print_json(result.as_dict())
        else:
            print(render.answer_text(result, bold=_bold()), end="\n\n" if args.question is None else "\n", flush=True)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    dates = _dates(args)
    absatz = _absatz(args)
    for query in _inputs(args.query):
        found = absatz.search(query, k=args.k, **dates)
        if args.json:
            _print_json({"query": query, "close": found.close, "hits": [render.hit_dict(h) for h in found.hits]})
        else:
            print(render.hits_text(found), flush=True)
    return 0


def cmd_source(args: argparse.Namespace) -> int:
    view = _absatz(args).source(args.id)
    if args.json:
        _print_json(
            {
                **asdict(view.paragraph),
                "before": asdict(view.before) if view.before else None,
                "after": asdict(view.after) if view.after else None,
            }
        )
    else:
        print(render.paragraph_text(view.paragraph, view.before, view.after))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    if (args.half or args.slice is not None) and args.build is None:
        raise UsageError("--half and --slice choose the articles --build indexes: give --build ARTICLES")
    questions = _gold_questions(args.questions, args.lang)
    rows = []
    with _eval_settings(args) as settings:
        searcher = Absatz(settings).searcher
        for language in args.lang:
            report = evaluate(
                searcher, questions, language, unanswerable=args.unanswerable or args.half or args.slice is not None
            )
            row = {"lang": language, **report.as_dict()}
            if args.misses:
                row["misses"] = [m.as_dict() for m in report.misses]
            rows.append(row)
    if args.json:
        for row in rows:
            _print_json(row)
        return 0
    print(render.eval_text(rows))
    return 0


@contextlib.contextmanager
def _eval_settings(args: argparse.Namespace) -> Iterator[Settings]:
    """The store to evaluate on. With --build its index is built first: kept at --chroma-path
    (the next run embeds only what is missing), else in a temporary folder that is removed
    when the command ends, failed or not, so that runs do not pile up stores in /tmp."""
    from .evaluate import build_index

    settings = settings_for(args)
    if args.build is None:
        yield settings
        return
    chosen = args.slice or (slice(None, None, 2) if args.half else slice(None))
    with contextlib.ExitStack() as stack:
        if args.chroma_path is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="absatz-eval-")))
            settings = settings.with_store(chroma_path=folder / "chroma", chroma_host="", collection="eval")
        build_index(settings.store, args.build, chosen)
        yield settings


def _gold_questions(path: Path, languages: Sequence[str]) -> list[dict[str, object]]:
    """The gold questions, checked before the model loads; an error names file and line."""
    from .evaluate import question_problem

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read questions from {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read questions from {path}: not UTF-8") from None
    questions = []
    for n, line in enumerate(jsonl_lines(text), start=1):  # as ingest reads JSONL: a BOM, a U+2028 in a string
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}:{n}: malformed JSON: {exc.msg}") from None
        except ValueError as exc:  # a number of more digits than Python converts
            raise UsageError(f"{path}:{n}: malformed JSON: {str(exc).split(':')[0]}") from None
        problem = question_problem(q, languages)
        if problem:
            raise UsageError(f"{path}:{n}: {problem}")
        questions.append(q)
    if not questions:  # a table of zeros, exit 0, had looked like a run that scored nothing
        raise UsageError(f"{path} holds no questions")
    return questions


def cmd_export(args: argparse.Namespace) -> int:
    with _written_when_complete(args.file) as out:
        counts = _absatz(args).export(out)
    # Exported to stdout (`absatz export /dev/stdout | …`), the summary would end the export.
    _print_json({"file": str(args.file), **counts}, file=sys.stderr if _is_stdout(args.file) else None)
    return 0


def _is_stdout(path: Path) -> bool:
    """Whether ``path`` is this process's standard output: ``-`` (as for other tools),
    /dev/stdout, or the file, pipe or terminal that stdout goes to."""
    if str(path) == "-":
        return True
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):  # no such file; stdout captured, or closed (None)
        return False


@contextlib.contextmanager
def _written_when_complete(target: Path) -> Iterator[TextIO]:
    """Written beside the target and renamed when complete: a failed export (no index at
    a mistyped --chroma-path, a full disk) leaves an earlier backup of that name intact.
    A symlink is written through (its target gets the export, the link stays). Stdout is
    written as the shell opened it (``>>`` appends), and a pipe or device directly:
    there is nothing to keep."""
    if _is_stdout(target):
        with os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8") as out:
            yield out
        return
    if target.exists() and not target.is_file():
        try:
            direct = target.open("w", encoding="utf-8")
        except OSError as exc:  # a folder, a device not for writing
            raise UsageError(f"cannot write {target}: {exc.strerror}") from None
        with direct as out:
            yield out
        return
    try:
        final = target.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
        raise UsageError(f"cannot write {target}: {exc}") from None
    try:
        fd, partial = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)  # as open() would have made it, not mkstemp's 0600
        os.replace(partial, final)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def cmd_import(args: argparse.Namespace) -> int:
    if args.embedding_model is not None:
        raise UsageError("--embedding-model does not apply to import: the export names the embedder of its vectors")
    counts = _absatz(args).import_(args.file, actor=cli_actor(), replace=args.replace)
    _print_json({"file": str(args.file), **counts})
    return 0


def _records(args: argparse.Namespace) -> Absatz:
    """The library for a command that only reads ``BOT_DB``: a file that is not there is
    said to be missing (it had been created, folders and all, and read as an empty log:
    a mistyped path or another working directory looked like nothing recorded)."""
    absatz = _absatz(args)
    if not absatz.settings.db.exists():
        raise UsageError(f"BOT_DB={str(absatz.settings.db.absolute())!r} does not exist: nothing was recorded there")
    return absatz


def cmd_audit(args: argparse.Namespace) -> int:
    entries = _records(args).audit.recent(args.n)
    for e in reversed(entries):
        if args.json:
            _print_json(e.as_dict())
        else:
            # what a member typed is logged as typed: a terminal must not obey its escape sequences
            actor, action, target, result = map(one_line, (e.actor, e.action, e.target, e.result))
            print(f"{render.when(e.at)}  {actor}  {action} {target}  →  {result}")
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    gaps = _records(args).gaps(args.days)
    if args.json:
        for gap in gaps:
            _print_json(asdict(gap))
        return 0
    if not gaps:
        # Only questions asked in Discord are recorded (README: feedback), not the CLI's.
        print(f"no gaps: every question asked in Discord in the last {args.days} days was answered")
    for gap in gaps:
        print(f"{gap.count:>4}×  {gap.question}   ({gap.abstained} refused, {gap.down_votes} 👎)")
        for wording in gap.wordings:
            if str(wording) != str(gap.question):  # a question may read as a follow-up shown
                print(f"       also: {wording}")
        for reason in gap.reasons:
            print(f"       👎: {reason}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    stats = render.stats_dict(_absatz(args).stats())
    if args.json:
        _print_json(stats)
    else:
        for key, value in stats.items():
            print(f"{key:>20}: {value}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import aiohttp
    import discord

    from bot.app import create_bot
    from bot.settings import BotSettings

    settings = BotSettings.from_env(store=settings_for(args).store)
    if not settings.discord_token:
        raise UsageError("DISCORD_TOKEN is not set (environment or .env); see README, 'Discord bot'")
    bot = create_bot(settings)
    # A chat model that cannot be built stops the start, as it stops `absatz ask`: else
    # every member would be told the admin's configuration error instead of an answer.
    _ = bot.core.llm
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
    absatz = _absatz(args)
    absatz.require_index()
    history: list[str] = []
    print("absatz chat — ask in German or English; empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        if history and is_remark(question):
            continue  # "danke!", "ok": said, not asked, as the bot lets it be in a thread
        try:
            result = absatz.ask(question, k=args.k, history=follow_up_context(history, history[0] if history else ""))
        except AbsatzError as exc:  # the store down for now: said, and the conversation goes on
            print(f"absatz: error: {error_line(exc)}", file=sys.stderr, flush=True)
            continue
        if len(question) <= MAX_QUESTION:  # one refused unread is no subject to follow
            history.append(question)
        print(render.answer_text(result, bold=_bold()), end="\n\n", flush=True)
    return 0


# --- entry point -----------------------------------------------------------------


def _date_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="YYYY-MM[-DD]", help="only articles from this date on")
    p.add_argument("--until", metavar="YYYY-MM[-DD]", help="only articles up to this date")


MAX_COUNT = 1_000_000  # a count option's ceiling: SQLite's integers end at 2**63


def _positive(value: str) -> int:
    """A count, refused in words: for a ValueError argparse would print "invalid _positive value"."""
    with contextlib.suppress(ValueError):
        if 1 <= (n := int(value)) <= MAX_COUNT:
            return n
    raise argparse.ArgumentTypeError(f"{value!r} is not a whole number between 1 and {MAX_COUNT:,}")


def _slice(value: str) -> slice:
    """``START:STOP:STEP`` as Python writes it (``1::3``: every third article from the second)."""
    try:
        parts = [int(p) if p.strip() else None for p in value.split(":")]
        if not 2 <= len(parts) <= 3 or parts[2:3] == [0]:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a slice like 1::3") from None
    return slice(*parts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="absatz",
        description="Answers questions about a corpus of news articles, citing the exact paragraph.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _store_options()

    p = sub.add_parser("ingest", parents=[common], help="add or update articles (incremental)")
    p.add_argument("paths", nargs="*", type=_named, help="files or folders (default: CORPUS_DIR), or web article URLs")
    p.add_argument(
        "--rebuild", action="store_true", help="re-embed everything into a new index and switch to it when complete"
    )
    p.add_argument("--json", action="store_true", help="print one JSON summary object")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", parents=[common], help="answer a question with citations")
    p.add_argument("question", nargs="?", help="the question (default: one per stdin line)")
    p.add_argument("--json", action="store_true")
    p.add_argument("-k", type=_positive, default=5, help="paragraphs to retrieve (default 5)")
    _date_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("search", parents=[common], help="ranked paragraphs, no answer")
    p.add_argument("query", nargs="?", help="the query (default: one per stdin line)")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "-k",
        type=_positive,
        default=5,
        help="results (default 5; at most the paragraphs of the 40 passages closest to the query, usually 20 to 30)",
    )
    _date_options(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("source", parents=[common], help="the paragraph behind a citation id")
    p.add_argument("id", help="citation id, e.g. 000_a05d8c91f093345a#2")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_source)

    p = sub.add_parser("chat", parents=[common], help="console chat with follow-up questions")
    p.add_argument("-k", type=_positive, default=5, help="paragraphs to retrieve (default 5)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", parents=[common], help="run the Discord bot (needs DISCORD_TOKEN)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", parents=[common], help="measure answers against gold questions")
    p.add_argument("questions", type=Path, help="JSONL: question, question_en, article_id, paragraph, answers")
    p.add_argument(
        "--lang",
        nargs="+",
        choices=["de", "en"],
        default=["de"],
        help="de: the question field; en: question_en (English over the German corpus)",
    )
    p.add_argument(
        "--unanswerable",
        action="store_true",
        help="questions whose article is not indexed must abstain; report both shares",
    )
    p.add_argument(
        "--build",
        type=Path,
        metavar="ARTICLES",
        help="evaluate on an index of these articles (temporary unless --chroma-path names one to keep)",
    )
    chosen = p.add_mutually_exclusive_group()
    chosen.add_argument(
        "--half", action="store_true", help="with --build: index every second article, the rest become unanswerable"
    )
    chosen.add_argument(
        "--slice",
        type=_slice,
        metavar="START:STOP:STEP",
        help="with --build: index these articles (e.g. 1::3), the rest become unanswerable",
    )
    p.add_argument(
        "--misses",
        action="store_true",
        help="list the questions whose answer missed the gold answer, and those answered that should be refused",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("export", parents=[common], help="write the index with its vectors to a JSONL file")
    p.add_argument("file", type=_path)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "import",
        parents=[common],
        help="load an export into this store (no re-embedding); a store that holds articles needs --replace",
    )
    p.add_argument("file", type=_path)
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace the articles the store holds (without it, an import into such a store is refused); "
        "the summary then says how many were replaced",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("audit", parents=[common], help="the admin audit log (BOT_DB)")
    p.add_argument("-n", type=_positive, default=50, help="newest N entries (default 50)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("gaps", parents=[common], help="questions the corpus could not answer, grouped (BOT_DB)")
    p.add_argument("--days", type=_positive, default=7, help="the last N days (default 7)")
    p.add_argument("--json", action="store_true", help="one JSON object per group")
    p.set_defaults(func=cmd_gaps)

    cli_live.add_commands(sub, common, lambda cmd: lambda args: cmd(args, _absatz(args)))

    p = sub.add_parser("stats", parents=[common], help="what the index holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
    return parser


def error_line(exc: AbsatzError) -> str:
    """The CLI's one mapping of the error tree: the message, plus what to type for the
    errors that a command fixes."""
    if isinstance(exc, NoIndex):
        return f"{exc} (run `absatz ingest`)"
    return str(exc)


def _readable(arg: str) -> str:
    """An argument as text: bytes that are not UTF-8 reach Python as lone surrogates
    (``surrogateescape``), which no encoder takes; each becomes U+FFFD, as a file read
    with ``errors="replace"`` would have it."""
    return arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def main(argv: list[str] | None = None) -> int:
    for name in ("stdout", "stderr"):  # started with it closed (`absatz ask … >&-`): nothing to show
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (the process's own)
    load_dotenv(Path.cwd() / ".env")
    args = build_parser().parse_args([_readable(a) for a in (sys.argv[1:] if argv is None else argv)])
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # questions piped in: a stray byte is no traceback
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    command: Callable[[argparse.Namespace], int] = args.func
    try:
        code = command(args)
        sys.stdout.flush()  # a full disk under `> file` is said here, not at the interpreter's exit
        return code
    except BrokenPipeError:
        # The reader went away (`absatz search … | head -1`): stop quietly, like other tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except AbsatzError as exc:
        line = error_line(exc)
        if isinstance(exc, EmbedderError) and getattr(args, "embedding_model", None):
            line = line.replace("EMBEDDING_MODEL=", "--embedding-model=", 1)  # named as typed, as the store options
        print(f"absatz: error: {line}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno in _OUTPUT_FAULTS and not exc.filename:  # `> /dev/full`, a full disk, a dead terminal
            print(f"absatz: error: cannot write the output: {exc.strerror}", file=sys.stderr)
            return 2
        if not exc.filename:  # not a path the user gave: a fault worth its traceback
            raise
        # a path the system refuses ("File name too long"): one line, not a traceback
        print(f"absatz: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# What writing the output meets that no code here can mend.
_OUTPUT_FAULTS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO})


if __name__ == "__main__":
    sys.exit(main())
