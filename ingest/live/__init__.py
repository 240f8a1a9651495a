"""The live corpus: feeds, web pages and watched folders become article files.

Feed and web articles are written as Markdown files into ``CORPUS_DIR/web/<site>/``,
so the existing ingest (incremental, locked, in a child process) treats them like every
other file. The modules, each with one job:

* :mod:`.fetch`    hostile-input HTTP: SSRF guard, limits, robots.txt, conditional GET
* :mod:`.extract`  HTML → title, metadata and paragraphs under their headings
* :mod:`.feeds`    RSS / Atom / news sitemap → items
* :mod:`.registry` the registered feeds and the items seen, in SQLite
* :mod:`.poller`   polling rounds and the loop: items → article files
* :mod:`.files`    an article → its Markdown file, written only when it changed
* :mod:`.watch`    batches of changed article files in the corpus folder
"""
