"""Fetching hostile URLs: the SSRF guard, limits, redirects, robots.txt, conditional GET.

Everything runs against the loopback server of ``tests/web_server.py``; a public-looking
host is a name the test resolver maps to a public address, which the test transport
then carries to the loopback server, so the guard sees exactly what it would see on the
internet.
"""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib

import httpx
import pytest

from ingest.live.fetch import (
    Fetcher,
    FetchPolicy,
    HTTPStatus,
    Refused,
    Timeout,
    TooLarge,
    TooManyRedirects,
    Unreachable,
    address_problem,
    check_url,
    is_metadata_address,
    parse_retry_after,
)

from .web_server import HUGE_BYTES, web

PUBLIC = "93.184.216.34"  # a global address; the test transport maps it to loopback


def loopback_policy(**kw) -> FetchPolicy:
    return FetchPolicy(allow_private=True, timeout_s=kw.pop("timeout_s", 20), **kw)


async def fetch(url: str, policy: FetchPolicy | None = None, **kw):
    async with Fetcher(policy or loopback_policy()) as fetcher:
        return await fetcher.fetch(url, **kw)


# --- the guard, directly ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "address, problem",
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.9", "a private address"),
        ("192.168.178.1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
        ("64:ff9b::a00:1", "a private address"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", "a cloud metadata address"),  # 6to4 of 169.254.169.254
        ("fc00::5", "a private address"),
        ("fec0::1", "a site-local address"),  # Python counts it global
        (PUBLIC, None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_problem(address, problem):
    assert address_problem(address) == problem


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::"]
)
def test_metadata_addresses_stay_refused_however_they_are_wrapped(address):
    # FEEDS_ALLOW_PRIVATE admits private addresses, never the cloud's metadata service.
    assert is_metadata_address(address)


@pytest.mark.parametrize(
    "url, reason",
    [
        ("file:///etc/passwd", "only http and https URLs are fetched, not file"),
        ("ftp://ftp.example.com/feed.xml", "only http and https URLs are fetched, not ftp"),
        ("gopher://example.com/", "only http and https URLs are fetched, not gopher"),
        ("/relative/feed.xml", "only http and https URLs are fetched, not a relative URL"),
        ("http://user:secret@example.com/feed", "URLs with a user name or password are not fetched"),
        ("http:///feed", "the URL names no host"),
        # a host that is no international name: a traceback had followed
        ("http://xn--a.com/", "not a valid URL (Codepoint U+0080 at position 1 of '\\x80' not allowed)"),
    ],
)
def test_check_url_refuses(url, reason):
    with pytest.raises(Refused) as err:
        check_url(url)
    assert err.value.reason == reason
    assert str(err.value) == f"{url.replace(':secret@', ':***@')}: {reason}"  # never the password
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://127.0.0.1:9/feed.xml", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.8/feed.xml", "10.0.0.8 is a private address"),
        ("http://192.168.0.20/rss", "192.168.0.20 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
        ("http://[::1]:8080/feed", "::1 is a loopback address"),
        ("http://localhost:9/feed", "host localhost resolves to "),  # a name, resolved for real
        (
            "http://2130706433/feed",
            "host 2130706433 resolves to 127.0.0.1, a loopback address",
        ),  # 127.0.0.1 as a number
    ],
)
async def test_internal_addresses_are_refused_before_connecting(url, why):
    with pytest.raises(Refused) as err:
        await fetch(url, FetchPolicy(timeout_s=10))
    assert why in str(err.value)
    assert "FEEDS_ALLOW_PRIVATE" in str(err.value) or "metadata" in str(err.value)


async def test_allow_private_reaches_loopback(web):
    with pytest.raises(Refused):
        await fetch(web.url("/robots.txt"), FetchPolicy(timeout_s=10))
    assert web.hits["/robots.txt"] == 0  # refused before any connection
    result = await fetch(web.url("/robots.txt"))
    assert result.status == 200 and b"Disallow" in result.content


async def test_metadata_address_is_refused_even_with_allow_private(web):
    with pytest.raises(Refused) as err:
        await fetch(web.url("/redirect-metadata"))
    assert "redirected to http://169.254.169.254/latest/meta-data/" in str(err.value)
    assert "cloud metadata address" in str(err.value)


async def test_redirect_to_file_scheme_is_refused(web):
    with pytest.raises(Refused) as err:
        await fetch(web.url("/redirect-file"))
    assert str(err.value).startswith(web.url("/redirect-file") + ": redirected to file:///etc/passwd")


async def test_a_redirect_to_a_url_with_a_password_is_refused_without_showing_it(web):
    """Every refusal names a URL as ``user:***@``; the redirect's target had been shown
    (and audited) with its password."""
    web.set("/redirect-login", "", "text/plain", status=302, Location="http://redaktion:geheim123@example.com/x")
    with pytest.raises(Refused) as err:
        await fetch(web.url("/redirect-login"))
    assert "redirected to http://redaktion:***@example.com/x" in str(err.value) and "geheim123" not in str(err.value)


@pytest.mark.parametrize("url", ["http://exa mple.com/", "http://[bad/x", "http://bad%host.com/"])
def test_a_host_no_lookup_can_find_is_refused_for_good(url):
    with pytest.raises(Refused, match="its host is not a valid host name") as err:
        check_url(url)
    assert err.value.permanent


@pytest.mark.parametrize(
    "url", ["http://münchen.de/", "http://sub_domain.example.com/", "http://[::1]:8080/", "http://example.com./"]
)
def test_an_international_name_an_underscore_or_an_address_literal_is_a_host(url):
    assert check_url(url).host


# --- a public-looking host, end to end ---------------------------------------------------


class PublicFace(httpx.AsyncBaseTransport):
    """Carries connections to the fake public address to the loopback server, and
    records which address each request was sent to and with which Host header."""

    def __init__(self, port: int):
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.url.host, request.headers["host"]))
        if request.url.host == PUBLIC:
            request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def resolver_for(table: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return table[host]
        return [host]  # an address literal

    return resolve


async def test_redirect_from_public_host_to_loopback_is_refused_at_the_hop(web):
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    face = PublicFace(web.port)
    policy = FetchPolicy(allow_private=False, timeout_s=20)
    resolve = resolver_for({"news.example.com": [PUBLIC]})
    async with Fetcher(policy, transport=face, resolver=resolve) as fetcher:
        ok = await fetcher.fetch("http://news.example.com/feeds/rss20.xml")
        assert ok.status == 200 and b"<rss" in ok.content
        # the connection went to the address that was checked, naming the host
        assert face.sent[-1] == (PUBLIC, "news.example.com")
        before = web.hits["/feeds/rss20.xml"]
        with pytest.raises(Refused) as err:
            await fetcher.fetch("http://news.example.com/redirect-loopback")
    message = str(err.value)
    assert message.startswith("http://news.example.com/redirect-loopback: redirected to http://127.0.0.1:")
    assert "127.0.0.1 is a loopback address" in message
    assert web.hits["/redirect-loopback"] == 1
    assert web.hits["/feeds/rss20.xml"] == before  # the loopback target was never asked


async def test_name_with_one_private_address_among_public_ones_is_refused(web):
    resolve = resolver_for({"mixed.example.com": [PUBLIC, "10.0.0.5"]})
    async with Fetcher(FetchPolicy(timeout_s=10), transport=PublicFace(web.port), resolver=resolve) as fetcher:
        with pytest.raises(Refused) as err:
            await fetcher.fetch("http://mixed.example.com/feeds/rss20.xml")
    assert "host mixed.example.com resolves to 10.0.0.5, a private address" in str(err.value)


async def test_unresolvable_host_is_unreachable():
    async def fail(host, port):
        raise OSError(-2, "Name or service not known")

    async with Fetcher(FetchPolicy(timeout_s=10), resolver=fail) as fetcher:
        with pytest.raises(Unreachable) as err:
            await fetcher.fetch("http://no-such-host.example/feed")
    assert "cannot resolve host 'no-such-host.example'" in str(err.value)


# --- limits and errors ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500, 429])
async def test_error_status_is_one_line_with_the_code(web, status):
    with pytest.raises(HTTPStatus) as err:
        await fetch(web.url(f"/status/{status}"))
    assert err.value.status == status
    assert str(err.value).startswith(f"{web.url(f'/status/{status}')}: HTTP {status}")
    if status == 429:
        assert err.value.retry_after == 7200
        assert "retry after 7200 s" in str(err.value)


def test_retry_after_as_http_date():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412420.0) == pytest.approx(60)
    assert parse_retry_after("soon") is None
    assert parse_retry_after("²") is None  # a digit float() refuses: no crash of the poll


async def test_redirect_loop_is_detected(web):
    with pytest.raises(TooManyRedirects) as err:
        await fetch(web.url("/loop/a"))
    assert "redirect loop back to" in str(err.value)
    assert web.hits["/loop/a"] == 1 and web.hits["/loop/b"] == 1


async def test_more_than_five_redirects_are_refused_and_five_are_followed(web):
    with pytest.raises(TooManyRedirects) as err:
        await fetch(web.url("/chain/0"))
    assert "more than 5 redirects" in str(err.value)
    result = await fetch(web.url("/chain/1"))  # five hops to the page
    assert result.status == 200 and result.final_url == web.url("/chain/6")


async def test_timeout_is_the_whole_fetch(web):
    with pytest.raises(Timeout) as err:
        await fetch(web.url("/hang"), loopback_policy(timeout_s=1.0))
    assert str(err.value) == f"{web.url('/hang')}: no complete response within 1 s"


async def test_a_body_that_trickles_in_forever_hits_the_time_limit(web):
    with pytest.raises(Timeout) as err:
        await fetch(web.url("/trickle"), loopback_policy(timeout_s=1.0))
    assert str(err.value) == f"{web.url('/trickle')}: no complete response within 1 s"


async def test_a_connection_closed_mid_body_is_one_line(web):
    with pytest.raises(Unreachable) as err:
        await fetch(web.url("/truncated"))
    assert str(err.value).startswith(f"{web.url('/truncated')}: 127.0.0.1: RemoteProtocolError")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("path", ["/huge", "/huge-declared"])
async def test_a_50_mb_response_is_cut_off_without_reading_it(web, path):
    with pytest.raises(TooLarge) as err:
        await fetch(web.url(path))
    assert "the limit of 5 MB" in str(err.value)
    assert web.huge_done.wait(30)
    # the server stopped once the client hung up: far less than the 50 MB went out
    assert web.bytes_sent[path] < HUGE_BYTES / 2


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/small", "the response is 300 bytes, over the limit of 100 bytes"),
        ("/huge-declared", "the response is 50 MB, over the limit of 100 bytes"),
        ("/huge", "the response is larger than the limit of 100 bytes"),  # no Content-Length: cut off
    ],
)
async def test_a_size_limit_under_a_megabyte_is_shown_in_bytes(web, path, reason):
    """FEEDS_MAX_BYTES=100 read "the response is 0.0 MB, over the 0.0001 MB limit"."""
    web.set("/small", "x" * 300, "text/plain")
    with pytest.raises(TooLarge) as err:
        await fetch(web.url(path), loopback_policy(max_bytes=100))
    assert str(err.value) == f"{web.url(path)}: {reason}"


async def test_a_compressed_body_is_read_and_never_expanded_past_the_limit(web):
    """A 50 kB gzip body that expands to 50 MB is cut off at the limit as it decompresses
    (httpx would expand each chunk whole first); encodings not asked for, or stacked, are
    refused, since only gzip and deflate are undone under the limit."""
    text = ("Ein Absatz über das Wärmenetz. " * 2000).encode()
    web.set("/gzip", gzip.compress(text), "text/plain", **{"Content-Encoding": "gzip"})
    web.set("/deflate", zlib.compress(text), "text/plain", **{"Content-Encoding": "deflate"})
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)  # "deflate" as some servers send it: no zlib header
    web.set("/raw-deflate", raw.compress(text) + raw.flush(), "text/plain", **{"Content-Encoding": "deflate"})
    web.set("/none", text, "text/plain", **{"Content-Encoding": "none"})  # names no compression: plain
    for path in ("/gzip", "/deflate", "/raw-deflate", "/none"):
        assert (await fetch(web.url(path))).content == text, path
    web.set("/bomb", gzip.compress(b"\0" * HUGE_BYTES), "text/plain", **{"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge) as err:
            await fetch(web.url("/bomb"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(err.value) == f"{web.url('/bomb')}: the response is larger than the limit of 5 MB"
    assert peak < 20_000_000
    for encoding in ("gzip, gzip", "br", "zstd"):
        web.set("/packed", gzip.compress(text), "text/plain", **{"Content-Encoding": encoding})
        with pytest.raises(Refused, match=f"content encoding '{encoding}' not accepted"):
            await fetch(web.url("/packed"))


async def test_identifying_user_agent_and_conditional_get(web):
    seen = {}

    class Spy(httpx.AsyncBaseTransport):
        def __init__(self):
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request):
            seen.update(request.headers)
            return await self.inner.handle_async_request(request)

    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    async with Fetcher(loopback_policy(), transport=Spy()) as fetcher:
        first = await fetcher.fetch(web.url("/feeds/rss20.xml"))
        assert seen["user-agent"].startswith("absatz/") and "feed reader" in seen["user-agent"]
        assert "http" not in seen["user-agent"]  # no made-up project URL; FEEDS_USER_AGENT adds a contact
        assert seen["accept-encoding"] == "gzip, deflate"  # what the limit can check as it decompresses
        assert first.etag and first.last_modified
        web.reset_counts()
        again = await fetcher.fetch(web.url("/feeds/rss20.xml"), etag=first.etag, last_modified=first.last_modified)
        assert seen["if-none-match"] == first.etag
        assert again.not_modified and again.content == b""
        assert web.hits["/feeds/rss20.xml"] == 1 and web.bytes_sent["/feeds/rss20.xml"] <= 300
        by_date = await fetcher.fetch(web.url("/feeds/rss20.xml"), last_modified=first.last_modified)
        assert by_date.not_modified
        web.set(
            "/feeds/rss20.xml", "<rss version='2.0'><channel><title>neu</title></channel></rss>", "application/rss+xml"
        )
        changed = await fetcher.fetch(web.url("/feeds/rss20.xml"), etag=first.etag)
        assert changed.status == 200 and b"neu" in changed.content and changed.etag != first.etag


async def test_robots_txt_is_respected_for_pages_only(web):
    web.fixture("/private/seite.html", "pages/waermenetz.html")
    web.fixture("/nur-menschen/seite.html", "pages/waermenetz.html")
    async with Fetcher(loopback_policy()) as fetcher:
        for path in ("/private/seite.html", "/nur-menschen/seite.html"):
            with pytest.raises(Refused) as err:
                await fetcher.fetch(web.url(path), page=True)
            assert str(err.value) == f"{web.url(path)}: robots.txt disallows fetching this page"
            assert web.hits[path] == 0
        page = await fetcher.fetch(web.url("/chain/6"), page=True)
        assert page.status == 200
        feed = await fetcher.fetch(web.url("/private/seite.html"))  # feeds are not page fetches
        assert feed.status == 200
    assert web.hits["/robots.txt"] == 1  # cached per host


async def test_robots_txt_rules_are_matched_as_rfc_9309_says(web):
    """The longest matching rule wins, and "*" and "$" are patterns: the standard
    library's parser took the first rule that matched and knew neither, so "Allow: /"
    above "Disallow: /nur-menschen/" had let that folder be fetched, "Disallow:
    /*?print=" had refused nothing, and "Allow: /news/" under "Disallow: /" had been refused."""
    rules = "User-agent: absatz\nAllow: /\nDisallow: /nur-menschen/\nDisallow: /*?print=\nDisallow: /*/amp$\n"
    web.set("/robots.txt", rules + "\nUser-agent: *\nDisallow: /\n", "text/plain")
    refused = ["/nur-menschen/seite.html", "/politik/seite.html?print=1", "/politik/seite/amp"]
    allowed = ["/politik/seite.html", "/politik/seite/amp/bilder"]
    for path in refused + allowed:
        web.fixture(path.split("?")[0], "pages/waermenetz.html")
    async with Fetcher(loopback_policy()) as fetcher:
        for path in refused:
            with pytest.raises(Refused, match=r"robots\.txt disallows fetching this page"):
                await fetcher.fetch(web.url(path), page=True)
        for path in allowed:
            assert (await fetcher.fetch(web.url(path), page=True)).status == 200
    web.set("/robots.txt", "User-agent: *\nDisallow: /\nAllow: /news/\n", "text/plain")
    web.fixture("/news/seite.html", "pages/waermenetz.html")
    async with Fetcher(loopback_policy()) as fetcher:
        assert (await fetcher.fetch(web.url("/news/seite.html"), page=True)).status == 200
        with pytest.raises(Refused, match=r"robots\.txt disallows"):
            await fetcher.fetch(web.url("/politik/seite.html"), page=True)
    # A byte order mark had made the first line unreadable, and its group's rules with it.
    web.set("/robots.txt", "\ufeffUser-agent: absatz\nDisallow: /politik/\n".encode(), "text/plain")
    async with Fetcher(loopback_policy()) as fetcher:
        with pytest.raises(Refused, match=r"robots\.txt disallows"):
            await fetcher.fetch(web.url("/politik/seite.html"), page=True)


async def test_robots_txt_missing_allows_and_forbidden_refuses(web):
    web.fixture("/artikel.html", "pages/waermenetz.html")
    web.resources.pop("/robots.txt")
    assert (await fetch(web.url("/artikel.html"), page=True)).status == 200
    web.set("/robots.txt", "nope", "text/plain", status=403)
    with pytest.raises(Refused) as err:
        await fetch(web.url("/artikel.html"), page=True)
    assert "robots.txt answered HTTP 403" in str(err.value)


@pytest.mark.parametrize("encoding", ["", "gzip"])
async def test_a_robots_txt_over_the_limit_is_read_up_to_it_not_ignored(web, encoding):
    """An oversized robots.txt had counted as no robots.txt, so a site's rules in its first
    500 KB were ignored whole. Its first ``robots_max_bytes`` are read (RFC 9309) and the
    line the cut went through is dropped (``Disallow: /offen-nie`` cut to ``Disallow: /o``
    is no rule of the site's); a gzip bomb is still never expanded past the limit."""
    rules = "User-agent: absatz\nDisallow: /private/\n"
    padding = "# " + "x" * 97 + "\n"  # 100 bytes a line
    head = rules + padding * 9
    body = head + "Disallow: /offen-nie\n" + padding * 20_000
    web.fixture("/private/seite.html", "pages/waermenetz.html")
    web.fixture("/offen.html", "pages/waermenetz.html")
    data = gzip.compress(body.encode() + b"\0" * HUGE_BYTES) if encoding else body.encode()
    web.set("/robots.txt", data, "text/plain", **({"Content-Encoding": encoding} if encoding else {}))
    tracemalloc.start()
    try:
        async with Fetcher(loopback_policy(robots_max_bytes=len(head) + len("Disallow: /o"))) as fetcher:
            with pytest.raises(Refused) as err:
                await fetcher.fetch(web.url("/private/seite.html"), page=True)
            assert str(err.value) == f"{web.url('/private/seite.html')}: robots.txt disallows fetching this page"
            assert (await fetcher.fetch(web.url("/offen.html"), page=True)).status == 200
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
    assert web.hits["/private/seite.html"] == 0


async def test_a_robots_txt_of_exactly_the_limit_keeps_its_last_line(web):
    """Without a final line break, a file of exactly ``robots_max_bytes`` had looked cut,
    and its last rule was dropped."""
    body = "User-agent: absatz\nDisallow: /private/"
    web.set("/robots.txt", body, "text/plain")
    web.fixture("/private/seite.html", "pages/waermenetz.html")
    async with Fetcher(loopback_policy(robots_max_bytes=len(body))) as fetcher:
        with pytest.raises(Refused, match=r"robots\.txt disallows"):
            await fetcher.fetch(web.url("/private/seite.html"), page=True)


async def test_per_host_concurrency_limit(web):
    """With one connection per host, a second fetch to the host waits for the first."""
    async with Fetcher(loopback_policy(per_host=1, timeout_s=60)) as fetcher:
        first = asyncio.create_task(fetcher.fetch(web.url("/hang")))
        second = asyncio.create_task(fetcher.fetch(web.url("/robots.txt")))
        async with asyncio.timeout(30):
            while web.hits["/hang"] == 0:
                await asyncio.sleep(0.01)
        done, _ = await asyncio.wait({second}, timeout=0.5)
        assert not done and web.hits["/robots.txt"] == 0  # held back while /hang holds the slot
        web.release.set()
        await asyncio.wait_for(asyncio.gather(first, second), 30)
        assert web.hits["/robots.txt"] == 1


async def test_a_fetch_waiting_for_the_hosts_slot_is_not_timed_out_by_the_wait(web):
    """Thirty items of one feed share its host's slots: the time limit is the server's to
    meet once asked, not the queue's. The first fetch hangs past the limit of 6 s; the one
    queued behind it gets the slot then, and its answer comes a second later (counted from
    the start, it had timed out with the first; 5 s to spare on a busy machine)."""
    async with Fetcher(loopback_policy(per_host=1, timeout_s=6)) as fetcher:
        first = asyncio.create_task(fetcher.fetch(web.url("/hang")))
        async with asyncio.timeout(30):
            while web.hits["/hang"] == 0:
                await asyncio.sleep(0.01)
        queued = asyncio.create_task(fetcher.fetch(web.url("/hang")))
        with pytest.raises(Timeout):
            await first
        async with asyncio.timeout(30):
            while web.hits["/hang"] < 2 and not queued.done():  # it has the slot and is waiting for its answer
                await asyncio.sleep(0.01)
        await asyncio.sleep(1)
        web.release.set()
        assert (await asyncio.wait_for(queued, 30)).status == 200


def test_errors_belong_to_the_one_tree_and_cross_processes():
    import pickle

    from vectorstore.errors import AbsatzError

    error = HTTPStatus("https://x.de/feed", 429, retry_after=60.0)
    assert isinstance(error, AbsatzError)
    again = pickle.loads(pickle.dumps(error))  # the ingest child hands errors to the bot
    assert (type(again), str(again), again.status, again.retry_after, again.url) == (
        HTTPStatus,
        "https://x.de/feed: HTTP 429 (retry after 60 s)",
        429,
        60.0,
        "https://x.de/feed",
    )


# --- a page's own address before its robots.txt; ports that are no ports -------------------


@pytest.mark.parametrize("allow_private", [False, True])
async def test_a_page_on_a_metadata_address_is_refused_for_its_address_not_its_robots_txt(allow_private):
    """Refused for good with its own reason: a "robots.txt unavailable" would have the
    poller ask again at every poll, for ever."""
    url = "http://169.254.169.254/latest/meta-data/"
    with pytest.raises(Refused) as err:
        await fetch(url, FetchPolicy(allow_private=allow_private, timeout_s=10), page=True)
    assert str(err.value) == f"{url}: 169.254.169.254 is a cloud metadata address"
    assert err.value.permanent and not err.value.for_now


async def test_a_page_on_loopback_is_refused_for_its_address_before_robots_txt_is_asked(web):
    web.fixture("/artikel.html", "pages/waermenetz.html")
    url = web.url("/artikel.html")
    with pytest.raises(Refused) as err:
        await fetch(url, FetchPolicy(timeout_s=10), page=True)
    assert str(err.value) == f"{url}: 127.0.0.1 is a loopback address; set FEEDS_ALLOW_PRIVATE=true to allow it"
    assert err.value.permanent
    assert web.hits["/robots.txt"] == 0 and web.hits["/artikel.html"] == 0


async def test_a_page_on_an_unresolvable_host_is_unreachable_not_a_robots_txt_problem():
    async def fail(host, port):
        raise OSError(-2, "Name or service not known")

    async with Fetcher(FetchPolicy(timeout_s=10), resolver=fail) as fetcher:
        with pytest.raises(Unreachable) as err:
            await fetcher.fetch("http://no-such-host.example/artikel.html", page=True)
    assert str(err.value) == (
        "http://no-such-host.example/artikel.html: "
        "cannot resolve host 'no-such-host.example' (Name or service not known)"
    )


async def test_a_page_redirected_to_a_metadata_address_names_the_address_at_the_hop(web):
    url = web.url("/redirect-metadata")
    with pytest.raises(Refused) as err:
        await fetch(url, page=True)
    assert str(err.value) == (
        f"{url}: redirected to http://169.254.169.254/latest/meta-data/: 169.254.169.254 is a cloud metadata address"
    )
    assert err.value.permanent


async def test_a_robots_txt_redirected_to_a_metadata_address_refuses_the_page_for_good(web):
    """Not "robots.txt unavailable (…)", which the poller would ask again at every poll:
    the site sends its robots.txt where no fetch goes, and that will not pass."""
    web.fixture("/artikel.html", "pages/waermenetz.html")
    web.set("/robots.txt", "", "text/plain", status=302, Location="http://169.254.169.254/latest/meta-data/")
    url = web.url("/artikel.html")
    with pytest.raises(Refused) as err:
        await fetch(url, page=True)
    assert str(err.value) == (
        f"{url}: robots.txt not fetched: redirected to http://169.254.169.254/latest/meta-data/: "
        "169.254.169.254 is a cloud metadata address"
    )
    assert err.value.permanent and not err.value.for_now
    assert web.hits["/robots.txt"] == 1 and web.hits["/artikel.html"] == 0


async def test_a_public_site_whose_robots_txt_redirects_to_loopback_is_refused_with_the_address_reason(web):
    web.fixture("/artikel.html", "pages/waermenetz.html")
    web.set("/robots.txt", "", "text/plain", status=302, Location=web.url("/robots-inside.txt"))
    resolve = resolver_for({"news.example.com": [PUBLIC]})
    async with Fetcher(FetchPolicy(timeout_s=20), transport=PublicFace(web.port), resolver=resolve) as fetcher:
        with pytest.raises(Refused) as err:
            await fetcher.fetch("http://news.example.com/artikel.html", page=True)
    assert str(err.value) == (
        f"http://news.example.com/artikel.html: robots.txt not fetched: redirected to {web.url('/robots-inside.txt')}: "
        "127.0.0.1 is a loopback address; set FEEDS_ALLOW_PRIVATE=true to allow it"
    )
    assert err.value.permanent
    assert web.hits["/robots-inside.txt"] == 0 and web.hits["/artikel.html"] == 0


async def test_a_page_redirected_to_a_site_whose_robots_txt_is_down_for_now_may_be_asked_again(web):
    """The redirect's "redirected to …" had dropped ``for_now``: a robots.txt answering
    503 for a moment refused the page for good."""
    web.fixture("/artikel.html", "pages/waermenetz.html")
    web.set("/weiter", "", "text/plain", status=302, Location="http://other.example.com/artikel.html")
    resolve = resolver_for({"news.example.com": [PUBLIC], "other.example.com": [PUBLIC]})
    async with Fetcher(FetchPolicy(timeout_s=20), transport=PublicFace(web.port), resolver=resolve) as fetcher:
        await fetcher.fetch("http://news.example.com/artikel.html", page=True)  # its robots.txt read and kept
        web.set("/robots.txt", "", "text/plain", status=503)
        with pytest.raises(Refused) as err:
            await fetcher.fetch("http://news.example.com/weiter", page=True)
    assert "redirected to http://other.example.com/artikel.html: robots.txt unavailable (HTTP 503)" in str(err.value)
    assert err.value.for_now and not err.value.permanent


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1:99999/a", "port 99999 is not a TCP port (1-65535)"),
        ("https://example.com:65536/feed", "port 65536 is not a TCP port (1-65535)"),
        ("http://example.com:0/feed", "port 0 is not a TCP port (1-65535)"),
        ("http://[::1]:70000/feed", "port 70000 is not a TCP port (1-65535)"),
        ("http://example.com:+80/feed", "not a valid port (Port could not be cast to integer value as '+80')"),
    ],
)
def test_check_url_refuses_a_port_that_is_no_port(url, reason):
    with pytest.raises(Refused) as err:
        check_url(url)
    assert str(err.value) == f"{url}: {reason}" and err.value.permanent


def test_check_url_takes_the_highest_port():
    assert check_url("http://example.com:65535/feed").port == 65535


@pytest.mark.parametrize("path", ["/a", "/redirect-bad-port"])
async def test_a_port_out_of_range_is_refused_not_a_traceback(web, path):
    """``OverflowError: connect(): port must be 0-65535`` came out of httpx as an ExceptionGroup."""
    web.set("/redirect-bad-port", "", "text/plain", status=302, Location="http://127.0.0.1:99999/a")
    url = "http://127.0.0.1:99999/a" if path == "/a" else web.url(path)
    with pytest.raises(Refused) as err:
        await fetch(url, page=True)
    hop = "" if path == "/a" else "redirected to http://127.0.0.1:99999/a: "
    assert str(err.value) == f"{url}: {hop}port 99999 is not a TCP port (1-65535)" and err.value.permanent


async def test_an_address_the_socket_layer_refuses_is_refused_when_sending():
    """The safety net behind check_url: OverflowError (wrapped in an ExceptionGroup by the
    connection attempts) is a fetch error, never a traceback."""
    async with Fetcher(loopback_policy()) as fetcher:
        with pytest.raises(Refused) as err:
            await fetcher._send("http://127.0.0.1:99999/a", httpx.URL("http://127.0.0.1:99999/a"), ["127.0.0.1"], {})
    assert str(err.value).startswith("http://127.0.0.1:99999/a: cannot connect to 127.0.0.1 port 99999 (")
    assert "port must be 0-65535" in str(err.value) and err.value.permanent


async def test_a_feed_with_items_on_a_metadata_address_and_a_bad_port_ingests_the_others(tmp_path, web):
    """Neither item fails the feed (an internal error) nor waits to be tried again for
    ever: both are noted once, the feed keeps its ETag, and the next poll is one 304."""
    from ingest.live.poller import Poller
    from ingest.live.registry import FeedRegistry

    from .test_live_registry import SimClock
    from .web_server import rss

    web.set("/redirect-bad-port", "", "text/plain", status=302, Location="http://127.0.0.1:99999/a")
    tarif = web.page("tarif")
    metadata_url, bad_port = "http://169.254.169.254/latest/meta-data/", web.url("/redirect-bad-port")
    items = [
        {"title": "Metadaten", "link": metadata_url, "date": "Thu, 20 Feb 2025 12:00:00 +0100"},
        {"title": "Port", "link": bad_port, "date": "Thu, 20 Feb 2025 12:01:00 +0100"},
        {"title": "Tarif", "link": tarif, "date": "Thu, 20 Feb 2025 12:05:00 +0100"},
    ]
    web.set("/feeds/live.xml", rss("Live", items), "application/rss+xml; charset=utf-8")
    clock = SimClock()
    registry = FeedRegistry(tmp_path / "bot.sqlite3", clock=clock)
    try:
        registry.add(web.url("/feeds/live.xml"), interval_s=300)
        async with Fetcher(loopback_policy(), monotonic=clock) as fetcher:
            poller = Poller(registry, tmp_path / "corpus", fetcher, clock=clock)
            (first,) = (await poller.poll_due()).outcomes
            assert first.status == "ok" and [a.url for a in first.written] == [tarif]
            assert set(first.notes) == {
                f"item {metadata_url}: 169.254.169.254 is a cloud metadata address",
                f"item {bad_port}: redirected to http://127.0.0.1:99999/a: port 99999 is not a TCP port (1-65535)",
            }
            assert registry.get(web.url("/feeds/live.xml")).etag  # nothing left to try again
            clock.advance(300)
            web.reset_counts()
            (second,) = (await poller.poll_due()).outcomes
    finally:
        registry.close()
    assert second.status == "not-modified" and dict(web.hits) == {"/feeds/live.xml": 1}
