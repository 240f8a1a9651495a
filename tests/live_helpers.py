"""Shared by the live-corpus tests of the service, the CLI and Discord: a store of the
sample corpus, the core over it, and waiting for what the service delivers."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from absatz import Absatz
from absatz.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.settings import IngestSettings
from vectorstore.chroma import Chroma
from vectorstore.search import Searcher

from .conftest import CORPUS, settings_for
from .web_server import rss

# Every wait here may include an ingest in a child process (seconds; more on a busy
# two-core machine): generous, never a fixed sleep.
WAIT_S = 300

SOLAR = (
    "date 2025-08 ROSTOCK (absatz-Test, fiktiv) - In Rostock hat die erste schwimmende Solaranlage an der Ostsee "
    "den Betrieb aufgenommen. Sie liefert Strom für rund 900 Haushalte.\n\n"
    "Die Anlage liegt im Stadthafen und besteht aus 4.000 Modulen. Gebaut wurde sie von den Stadtwerken./tst\n"
)
SOLAR_QUESTION = "Wie viele Module hat die schwimmende Solaranlage in Rostock?"
WAERME_QUESTION = (
    "Wie viele Haushalte sollen bis zum Ende des Jahrzehnts an das Fernwärmenetz in Lindenau angeschlossen sein?"
)


def copy_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    return corpus


def build_core(tmp_path: Path, embedder, corpus: Path) -> Absatz:
    """The sample corpus ingested into a fresh store; the core over it, sharing the embedder."""
    store = settings_for(tmp_path / "chroma")
    ingest_paths(Chroma(store), embedder, [corpus])
    settings = Settings(store=store, ingest=IngestSettings(corpus_dir=corpus), db=tmp_path / "bot.sqlite3")
    return Absatz(settings, searcher=Searcher.open(store, embedder))


def burst_feed(base: str, n: int) -> str:
    """An RSS feed of ``n`` full-text items (no page fetches; content:encoded of more than
    400 characters), each a short German article."""
    items = []
    for i in range(n):
        body = (
            f"<p>Der Gemeinderat von Beispielstadt {i} hat am Dienstag den Bau einer neuen Grundschule mit "
            f"{200 + i} Plätzen beschlossen. Die Kosten liegen nach Angaben der Verwaltung bei {3 + i} "
            "Millionen Euro.</p><p>Der Unterricht soll im Herbst des kommenden Jahres beginnen. Bis dahin "
            "lernen die Kinder in Containern auf dem Sportplatz, sagte die Bürgermeisterin.</p>"
            "<p>Der Elternbeirat begrüßte die Entscheidung. Die bisherige Schule aus den Sechzigerjahren "
            "soll nach dem Umzug abgerissen werden; auf dem Gelände sind Wohnungen geplant.</p>"
        )
        items.append(
            {
                "title": f"Neue Grundschule in Beispielstadt {i}",
                "link": f"{base}/schule/{i}.html",
                "date": "Tue, 10 Jun 2025 08:00:00 +0200",
                "content": body,
            }
        )
    return rss("Beispiel-Kurier", items)


async def wait_until(predicate, timeout_s: float = WAIT_S, what: str = "condition") -> None:
    """Poll ``predicate`` (cheap, no side effects) until true; fail after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.05)
