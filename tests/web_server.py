"""A loopback HTTP server for the live-corpus tests: feeds, article pages and the
hostile routes a real feed can turn into (hangs, errors, loops, huge bodies).

Threaded ``http.server`` on 127.0.0.1, one port per test. It counts requests and bytes
per path, so a test can assert that an unchanged feed cost one small 304, and that a
50 MB body was cut off early (it is produced chunk by chunk, never held in memory).
Static resources get an ETag and a Last-Modified and honour conditional requests.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

WEB_DATA = Path(__file__).resolve().parent / "data" / "web"
PAGES = WEB_DATA / "pages"
FEEDS = WEB_DATA / "feeds"

HANG_LIMIT_S = 120  # the hanging route gives up on its own after this (the server stop ends it sooner)
HUGE_BYTES = 50_000_000
ROBOTS = "User-agent: *\nDisallow: /private/\n\nUser-agent: absatz\nDisallow: /private/\nDisallow: /nur-menschen/\n"


@dataclass
class Resource:
    body: bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""


class WebServer:
    """Start with ``with WebServer() as web:``; ``web.url(path)`` names a route."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.hits: Counter[str] = Counter()
        self.bytes_sent: Counter[str] = Counter()
        self.huge_done = threading.Event()  # set when the 50 MB route stopped writing
        self.release = threading.Event()  # ends the hanging route
        self._lock = threading.Lock()
        self._version = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.app = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._install_defaults()

    def __enter__(self) -> WebServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=30)

    def url(self, path: str) -> str:
        return self.base + path

    # --- content -----------------------------------------------------------------------

    def set(self, path: str, body: bytes | str, content_type: str, status: int = 200, **headers: str) -> None:
        """Serve ``body`` at ``path``; a new body gets a new ETag and Last-Modified."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._version += 1
            self.resources[path] = Resource(
                data,
                content_type,
                status,
                dict(headers),
                etag=f'"{hashlib.sha1(data).hexdigest()[:16]}"',
                last_modified=formatdate(1_700_000_000 + self._version * 60, usegmt=True),
            )

    def fixture(self, path: str, name: str, content_type: str = "", raw: bool = False) -> None:
        """A file from ``tests/data/web`` (``pages/…`` or ``feeds/…``) with ``{base}`` filled in."""
        data = (WEB_DATA / name).read_bytes()
        if not raw:
            data = data.replace(b"{base}", self.base.encode("ascii"))
        ctype = content_type or (
            "text/html; charset=utf-8" if name.endswith(".html") else "application/rss+xml; charset=utf-8"
        )
        self.set(path, data, ctype)

    def page(self, name: str) -> str:
        """Serve ``pages/<name>.html`` at the path its ``.expected.json`` names; its URL."""
        path = expected_page(name)["path"]
        self.fixture(path, f"pages/{name}.html")
        return self.url(path)

    def reset_counts(self) -> None:
        with self._lock:
            self.hits.clear()
            self.bytes_sent.clear()

    def _install_defaults(self) -> None:
        self.set("/robots.txt", ROBOTS, "text/plain")
        self.set("/not-xml", '{"items": [], "note": "this is JSON"}', "application/json")
        self.set(
            "/html-page",
            "<!DOCTYPE html><html><head><title>Start</title></head><body><p>Willkommen</p></body></html>",
            "text/html",
        )
        self.set(
            "/not-feed.xml",
            "<?xml version='1.0'?><config><server>on</server><items>3</items></config>",
            "application/xml",
        )
        self.set("/status/404", "nicht gefunden", "text/plain", status=404)
        self.set("/status/500", "Interner Fehler", "text/plain", status=500)
        self.set("/status/429", "zu viele Anfragen", "text/plain", status=429, **{"Retry-After": "7200"})
        self.set("/loop/a", "", "text/plain", status=302, Location="/loop/b")
        self.set("/loop/b", "", "text/plain", status=302, Location="/loop/a")
        for i in range(7):  # /chain/0 → /chain/1 → … → /chain/6 (a page)
            if i < 6:
                self.set(f"/chain/{i}", "", "text/plain", status=301, Location=f"/chain/{i + 1}")
        self.fixture("/chain/6", "pages/waermenetz.html")
        self.set("/redirect-loopback", "", "text/plain", status=302, Location=f"{self.base}/feeds/rss20.xml")
        self.set(
            "/redirect-metadata", "", "text/plain", status=302, Location="http://169.254.169.254/latest/meta-data/"
        )
        self.set("/redirect-file", "", "text/plain", status=302, Location="file:///etc/passwd")


def expected_page(name: str) -> dict:
    return json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))


def rss(title: str, items: list[dict], link: str = "", language: str = "") -> str:
    """An RSS 2.0 document; each item: title, link, date (RFC 822), description, content."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>',
        f"<title>{escape(title)}</title><link>{escape(link or 'http://example.invalid/')}</link><description>Test</description>",
    ]
    if language:
        parts.append(f"<language>{escape(language)}</language>")
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.get('title', ''))}</title><link>{escape(item['link'])}</link>")
        if item.get("date"):
            parts.append(f"<pubDate>{escape(item['date'])}</pubDate>")
        if item.get("description"):
            parts.append(f"<description>{escape(item['description'])}</description>")
        if item.get("content"):
            parts.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: counts stay simple

    def log_message(self, *args) -> None:  # quiet
        pass

    @property
    def app(self) -> WebServer:
        return self.server.app  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        app = self.app
        with app._lock:
            app.hits[path] += 1
        if path == "/hang":
            app.release.wait(HANG_LIMIT_S)
            return self._send(path, 200, b"<rss/>", {"Content-Type": "application/rss+xml"})
        if path in ("/huge", "/huge-declared"):
            return self._huge(path, declared=path == "/huge-declared")
        if path == "/trickle":
            return self._trickle()
        if path == "/truncated":
            return self._truncated()
        with app._lock:
            res = app.resources.get(path)
        if res is None:
            return self._send(path, 404, b"not found", {"Content-Type": "text/plain"})
        headers = {"Content-Type": res.content_type, **res.headers}
        if res.status == 200:
            headers.update({"ETag": res.etag, "Last-Modified": res.last_modified})
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if (inm and inm == res.etag) or (not inm and ims and ims == res.last_modified):
                return self._send(path, 304, b"", {"ETag": res.etag, "Last-Modified": res.last_modified})
        return self._send(path, res.status, res.body, headers)

    def _send(self, path: str, status: int, body: bytes, headers: dict[str, str]) -> None:
        # counted before writing: once the client has the response, the count is complete
        with self.app._lock:
            self.app.bytes_sent[path] += (len(body) if status != 304 else 0) + 200  # headers, roughly
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _trickle(self) -> None:
        """A body that never ends, a byte at a time: only a limit on the whole fetch stops it."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            self.wfile.flush()
            while not self.app.release.wait(0.1):
                self.wfile.write(b" ")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _truncated(self) -> None:
        """Promises 10,000 bytes, sends 40, hangs up."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", "10000")
            self.end_headers()
            self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><chan')
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _huge(self, path: str, declared: bool) -> None:
        """50 MB written chunk by chunk until the client hangs up; counts what got out."""
        chunk = (b"<item><title>" + b"x" * 1000 + b"</title></item>\n") * 64
        sent = 0
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            if declared:
                self.send_header("Content-Length", str(HUGE_BYTES))
            self.end_headers()
            self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title>')
            while sent < HUGE_BYTES:
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with self.app._lock:
                self.app.bytes_sent[path] += sent
            self.app.huge_done.set()


@pytest.fixture
def web():
    with WebServer() as server:
        yield server
