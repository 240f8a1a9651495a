"""Watching a real folder: new, changed (written in two steps), renamed and deleted
article files arrive as batches, each file once and complete; hidden folders, temp files
and other files do not."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from watchfiles import Change

from ingest.live.watch import (
    ADDED,
    DELETED,
    MODIFIED,
    ArticleFilter,
    Batch,
    FileChange,
    Quiet,
    watch_corpus,
)

WAIT_S = 60  # generous: the machine may be busy
QUIET_S = 1.0


class Watcher:
    """Runs ``watch_corpus`` in a task; batches land in a queue together with what each
    reported file held at that moment."""

    def __init__(self, root: Path):
        self.root = root
        self.stop = asyncio.Event()
        self.ready = asyncio.Event()
        self.batches: asyncio.Queue[tuple[Batch, dict[Path, str]]] = asyncio.Queue()
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> Watcher:
        self.task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.ready.wait(), WAIT_S)
        return self

    async def __aexit__(self, *exc) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, WAIT_S)

    async def _run(self) -> None:
        async for batch in watch_corpus(self.root, self.stop, quiet_s=QUIET_S, tick_s=0.1, ready=self.ready):
            seen = {p: p.read_text(encoding="utf-8") for p in batch.changed if p.is_file()}
            await self.batches.put((batch, seen))

    async def next(self) -> tuple[Batch, dict[Path, str]]:
        return await asyncio.wait_for(self.batches.get(), WAIT_S)

    async def until(self, path: Path) -> list[tuple[Batch, dict[Path, str]]]:
        """Every batch up to and including the one that reports ``path``."""
        got = []
        while True:
            batch, seen = await self.next()
            got.append((batch, seen))
            if any(c.path == path for c in batch.changes):
                return got


def changes(got) -> list[tuple[str, str]]:
    return [(c.path.name, c.kind) for batch, _ in got for c in batch.changes]


async def test_create_modify_rename_delete(tmp_path):
    root = tmp_path / "corpus"
    (root / "web" / "site").mkdir(parents=True)
    async with Watcher(root) as watcher:
        # create
        new = root / "web" / "site" / "neu.md"
        new.write_text("---\ntitle: Neu\n---\n\nErster Absatz.\n", encoding="utf-8")
        got = await watcher.until(new)
        assert changes(got) == [("neu.md", ADDED)]
        assert got[-1][0].ingest_targets() == [new]

        # modify, written in two steps with a pause shorter than the quiet time
        first_half = "---\ntitle: Neu\n---\n\nErster Absatz.\n\n"
        second_half = "Zweiter Absatz, später geschrieben.\n"
        with open(new, "w", encoding="utf-8") as f:
            f.write(first_half)
            f.flush()
            os.fsync(f.fileno())
            await asyncio.sleep(QUIET_S / 3)  # the writer is slow; nothing waits on this
            f.write(second_half)
        got = await watcher.until(new)
        assert changes(got) == [("neu.md", MODIFIED)]
        assert got[-1][1][new] == first_half + second_half  # read once, complete

        # rename: the old name is gone, the new one is there
        renamed = new.with_name("umbenannt.md")
        new.rename(renamed)
        got = await watcher.until(renamed)
        while not any(c.path == new for b, _ in got for c in b.changes):
            got += await watcher.until(new)
        assert sorted(changes(got)) == [("neu.md", DELETED), ("umbenannt.md", ADDED)]
        assert renamed.read_text(encoding="utf-8") == first_half + second_half

        # delete: the ingest is pointed at the folder that held the file
        renamed.unlink()
        got = await watcher.until(renamed)
        assert changes(got) == [("umbenannt.md", DELETED)]
        assert got[-1][0].ingest_targets() == [root / "web" / "site"]

        # a sentinel written last: nothing else was reported in between
        sentinel = root / "zuletzt.txt"
        sentinel.write_text("Ein Absatz.\n", encoding="utf-8")
        assert changes(await watcher.until(sentinel)) == [("zuletzt.txt", ADDED)]
    assert watcher.batches.empty()


async def test_ignored_files_and_a_folder_moved_in(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    async with Watcher(root) as watcher:
        (root / ".trash").mkdir()
        (root / ".trash" / "weg.md").write_text("x\n", encoding="utf-8")
        (root / ".absatz-123.tmp").write_text("halb", encoding="utf-8")
        (root / "notiz.md~").write_text("backup", encoding="utf-8")
        (root / "bild.png").write_bytes(b"\x89PNG")
        (root / "daten.json").write_text("{}", encoding="utf-8")
        outside = tmp_path / "mappe"
        (outside / "unter").mkdir(parents=True)
        (outside / "a.md").write_text("A\n", encoding="utf-8")
        (outside / "unter" / "b.jsonl").write_text('{"id": "b", "text": "B"}\n', encoding="utf-8")
        (outside / "unter" / ".versteckt.md").write_text("C\n", encoding="utf-8")
        outside.rename(root / "mappe.2024")  # one event for the folder: its articles are reported
        got = await watcher.until(root / "mappe.2024" / "unter" / "b.jsonl")
        assert sorted(changes(got)) == [("a.md", ADDED), ("b.jsonl", ADDED)]
        (root / "mappe.2024").rename(outside)  # and moved out again: the folder is gone
        got = await watcher.until(root / "mappe.2024")
    assert changes(got) == [("mappe.2024", DELETED)]


def test_the_filter():
    root = Path("/corpus")
    keep = ArticleFilter(root)
    assert keep(Change.added, "/corpus/web/site/a.md")
    assert keep(Change.modified, "/corpus/x.TXT")
    assert keep(Change.deleted, "/corpus/sub.jsonl")
    assert keep(Change.deleted, "/corpus/ein-ordner")  # maybe a folder that went away
    assert not keep(Change.added, "/corpus/.trash/a.md")
    assert not keep(Change.added, "/corpus/web/.absatz-x.tmp")
    assert not keep(Change.added, "/corpus/web/.#a.md")
    assert not keep(Change.added, "/corpus/a.md~")
    assert not keep(Change.added, "/corpus/a.pdf")
    assert not keep(Change.added, "/elsewhere/a.md")


def test_a_folder_named_like_a_file_is_a_folder_when_it_comes_and_goes(tmp_path):
    """``archiv.2024`` moved in or out arrives as one event for the folder: it had been
    taken for a file of a kind not read, so its articles were neither added nor removed."""
    root = tmp_path / "corpus"
    (root / "archiv.2023" / "band.1").mkdir(parents=True)
    keep = ArticleFilter(root)
    (root / "archiv.2024").mkdir()
    assert keep(Change.added, str(root / "archiv.2024"))
    for gone in ("archiv.2024", "archiv.2023", "archiv.2023/band.1"):  # known before it went
        assert keep(Change.deleted, str(root / gone)), gone
    assert not keep(Change.deleted, str(root / "bild.png"))  # never a folder here
    assert not keep(Change.added, str(root / "bild.png"))


def test_quiet_rules_on_a_fake_clock(tmp_path):
    quiet = Quiet(tmp_path, quiet_s=1.0)
    growing = tmp_path / "growing.md"
    growing.write_text("a", encoding="utf-8")
    quiet.event(growing, ADDED, now=0.0)
    assert quiet.ready(0.5) == []
    growing.write_text("ab", encoding="utf-8")  # size changed without an event reaching us yet
    assert quiet.ready(1.2) == []  # the change restarts the quiet time
    assert quiet.ready(2.3) == [FileChange(growing, ADDED)]
    # added and gone again before it was quiet: nothing to report
    fleeting = tmp_path / "fleeting.md"
    fleeting.write_text("x", encoding="utf-8")
    quiet.event(fleeting, ADDED, now=3.0)
    fleeting.unlink()
    quiet.event(fleeting, DELETED, now=3.1)
    assert quiet.ready(5.0) == []
    # an existing file replaced (deleted, then written again) is a modification
    replaced = tmp_path / "replaced.md"
    quiet.event(replaced, DELETED, now=6.0)
    replaced.write_text("neu", encoding="utf-8")
    quiet.event(replaced, ADDED, now=6.1)
    assert quiet.ready(6.2) == []
    assert quiet.ready(7.3) == [FileChange(replaced, MODIFIED)]


@pytest.mark.parametrize(
    "changes_, targets",
    [
        ([("a/x.md", ADDED), ("a/b/y.md", MODIFIED)], ["a/x.md", "a/b/y.md"]),
        ([("a/x.md", ADDED), ("a/y.md", DELETED)], ["a"]),  # the folder covers the new file too
        ([("a/b/x.md", DELETED), ("a/x.md", MODIFIED)], ["a/x.md", "a/b"]),
        ([("a/x.md", ADDED), ("gone/deeper/z.md", DELETED)], ["."]),  # nearest folder that still exists
    ],
)
def test_ingest_targets(tmp_path, changes_, targets):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "x.md").write_text("x", encoding="utf-8")
    (tmp_path / "a" / "b" / "y.md").write_text("y", encoding="utf-8")
    batch = Batch(tuple(FileChange(tmp_path / p, k) for p, k in changes_))
    assert batch.ingest_targets() == [(tmp_path / t) if t != "." else tmp_path for t in targets]
