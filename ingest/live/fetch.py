"""Fetching feeds and pages from the open web, treating every response as hostile.

Admins type feed URLs and feeds name page URLs, so a URL is never trusted: only
``http(s)``; the host must resolve to public addresses only (no loopback, private,
link-local, multicast, reserved or cloud-metadata address) unless ``allow_private``;
the connection goes to exactly the address that was checked (so a DNS answer that
changes between check and connect cannot smuggle in an internal address), and every
redirect hop is checked again. Bodies are streamed and cut at a size limit, the whole
fetch has a time limit, ``robots.txt`` is respected for pages, one host gets at most a
few connections at once, and an unchanged feed costs one conditional request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Self
from urllib.parse import urlsplit

import httpx
from protego import Protego

from ..sources import past_limit, too_large
from .errors import LiveError, one_line
from .urls import without_password

ROBOTS_AGENT = "absatz"  # the product token robots.txt rules are matched against
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


def default_user_agent() -> str:
    """``absatz/<version>`` and what it is; no contact address, since absatz has no
    public home: operators who want to be reachable set ``FEEDS_USER_AGENT`` (e.g.
    ``absatz/0.1 (+https://news.example.org/bot; bot@news.example.org)``)."""
    try:
        version = metadata.version("absatz")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"absatz/{version} (feed reader of a news question-answering bot)"


# --- errors ---------------------------------------------------------------------------


class FetchError(LiveError):
    """A URL could not be fetched; ``str()`` is one line naming the URL and the reason."""

    key = "fetch"

    @property
    def permanent(self) -> bool:
        """Asking again will not help; otherwise (timeouts, resets) it may pass by itself."""
        return False


class Refused(FetchError):
    """Not fetched on purpose: scheme, address (SSRF guard) or robots.txt; ``for_now``
    when the refusal is a robots.txt that could not be read, which may pass."""

    key = "fetch_refused"

    def __init__(self, url: str, reason: str, *, for_now: bool = False):
        super().__init__(url, reason)
        self.for_now = for_now

    @property
    def permanent(self) -> bool:
        return not self.for_now


class TooLarge(FetchError):
    key = "fetch_too_large"

    @property
    def permanent(self) -> bool:
        return True


class Timeout(FetchError):
    key = "fetch_timeout"


class TooManyRedirects(FetchError):
    key = "fetch_redirects"


class Unreachable(FetchError):
    """DNS failure, connection refused or reset: usually passes by itself."""

    key = "fetch_unreachable"


class HTTPStatus(FetchError):
    """The server answered with an error status; ``retry_after`` (s) when it said so."""

    key = "fetch_status"

    def __init__(self, url: str, status: int, retry_after: float | None = None):
        reason = f"HTTP {status}" + (f" (retry after {retry_after:g} s)" if retry_after else "")
        super().__init__(url, reason, status=status, retry_after=retry_after)
        self.status = status
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        """Gone or never there: asking again will not help (unlike 429 or 5xx)."""
        return self.status in (400, 401, 403, 404, 405, 406, 410, 451)


# --- the SSRF guard: pure checks ---------------------------------------------------------

# Addresses of instance-metadata services (AWS/GCP/Azure/OpenStack, AWS ECS, Alibaba, AWS IPv6).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_problem(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why connecting to ``address`` is refused, or ``None`` for a public address.

    IPv4 addresses wrapped in IPv6 (``::ffff:127.0.0.1``, NAT64, 6to4) are judged as the
    IPv4 address they carry.
    """
    ip = _unwrapped(ipaddress.ip_address(address) if isinstance(address, str) else address)
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
        ("is_site_local", "a site-local address"),  # fec0::/10: deprecated, still routed inside sites
    )
    for attr, what in checks:
        if getattr(ip, attr, False):
            return what
    if not ip.is_global:
        return "not a public address"
    return None


def is_metadata_address(address: str) -> bool:
    return _unwrapped(ipaddress.ip_address(address)) in METADATA_ADDRESSES


def _unwrapped(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The IPv4 address an IPv6 one carries, where it carries one a router would reach."""
    if isinstance(ip, ipaddress.IPv4Address):
        return ip
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour or ip


# What a host name may hold once httpx has IDNA-encoded it (underscores are used, though
# not in the rules).
_HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?")


def check_url(url: str | httpx.URL) -> httpx.URL:
    """Syntax rules before any lookup: http(s), a host, a port in 1–65535, no credentials
    in the URL."""
    text = str(url).strip()
    shown = without_password(text)  # what every refusal names: never the password
    try:
        parsed = httpx.URL(text)
        _ = parsed.host  # decoded on first read: 'xn--a.com' is no international name
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise Refused(shown, f"not a valid URL ({exc})") from None
    if parsed.scheme not in ("http", "https"):
        raise Refused(shown, f"only http and https URLs are fetched, not {parsed.scheme or 'a relative URL'}")
    if not parsed.host:
        raise Refused(shown, "the URL names no host")
    host = parsed.raw_host.decode("ascii", "replace")
    if ":" not in host and not _HOST_NAME.fullmatch(host):  # ':' is an IPv6 literal's
        # 'http://[bad' is read as the host '%5bbad', which no lookup will ever find: an
        # item redirected there had been tried again at every poll as a DNS failure
        raise Refused(shown, "its host is not a valid host name")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        # the socket layer would raise OverflowError at connect time, not a fetch error
        raise Refused(shown, f"port {parsed.port} is not a TCP port (1-65535)")
    try:
        _ = urlsplit(text).port  # what canonical_url reads: httpx takes '+80' or '1_0', urllib not
    except ValueError as exc:
        raise Refused(shown, f"not a valid port ({exc})") from None
    if parsed.userinfo:
        raise Refused(shown, "URLs with a user name or password are not fetched")
    return parsed


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system resolves ``host`` to, in its preferred order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if addr not in seen:
            seen.append(addr)
    return seen


async def resolve_checked(url: httpx.URL, allow_private: bool, resolver: Resolver = system_resolver) -> list[str]:
    """The host's addresses, all of them allowed, or :class:`Refused` naming the first
    address that is not (a name with one internal address among public ones is refused).

    Cloud metadata addresses are refused even with ``allow_private``: no feed lives there,
    and they hand out credentials.
    """
    host = url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = await resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise Unreachable(str(url), f"cannot resolve host {host!r} ({getattr(exc, 'strerror', None) or exc})") from None
    if not addresses:
        raise Unreachable(str(url), f"host {host!r} has no address")
    for addr in addresses:
        problem = address_problem(addr)
        if problem and (not allow_private or is_metadata_address(addr)):
            where = f"{addr} is" if addr == host.strip("[]") else f"host {host} resolves to {addr},"
            hint = "" if is_metadata_address(addr) else "; set FEEDS_ALLOW_PRIVATE=true to allow it"
            raise Refused(str(url), f"{where} {problem}{hint}")
    return addresses


# --- the fetcher ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchPolicy:
    """How far a fetch may go. ``allow_private`` is what ``FEEDS_ALLOW_PRIVATE`` maps to."""

    allow_private: bool = False
    max_bytes: int = 5_000_000
    timeout_s: float = 30.0  # the whole fetch: every redirect hop and the body
    connect_timeout_s: float = 10.0
    max_redirects: int = 5
    user_agent: str = field(default_factory=default_user_agent)
    per_host: int = 2
    respect_robots: bool = True
    robots_ttl_s: float = 3600.0
    robots_max_bytes: int = 512_000  # 500 KiB, what RFC 9309 asks a crawler to parse at least


@dataclass(frozen=True)
class FetchResult:
    url: str  # as asked for
    final_url: str  # after redirects
    status: int  # 200 (or another 2xx), or 304 when not modified
    content: bytes = b""
    content_type: str = ""
    charset: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def headers(self) -> dict[str, str]:
        """The response headers a parser may care about (feedparser's encoding rules)."""
        ctype = self.content_type + (f"; charset={self.charset}" if self.charset else "")
        return {"content-type": ctype, "content-location": self.final_url}


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdecimal():  # not isdigit(): a hostile '²' is a digit that float() refuses
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class _Robots:
    # RFC 9309's matching: the longest rule wins, "*" and "$" as patterns. The standard
    # library's parser took the first rule that matched and had neither, so "Allow: /"
    # above "Disallow: /nur-menschen/" let every page of that folder be fetched.
    rules: Protego
    fetched: float
    note: str = ""  # why everything is disallowed, when it is
    for_now: bool = False  # the robots.txt could not be read: asked again in 10 minutes


class _Budget:
    """A fetch's time limit, counted only while it is at work. Thirty items of one feed
    share its host's two slots: counted from the start, those queued last ran out of time
    before their request was sent, and were reported as the server's timeout."""

    def __init__(self, deadline: asyncio.Timeout, seconds: float):
        self._deadline = deadline
        self._left = seconds
        self._since = asyncio.get_running_loop().time()

    def pause(self) -> None:
        now = asyncio.get_running_loop().time()
        self._left -= now - self._since
        self._since = now
        self._deadline.reschedule(None)

    def resume(self) -> None:
        self._since = asyncio.get_running_loop().time()
        self._deadline.reschedule(self._since + max(self._left, 0.0))


class Fetcher:
    """One shared HTTP client with the guard, the limits and the robots.txt cache.

    ``transport`` and ``resolver`` exist for tests (a loopback server posing as a public
    host); production code passes neither.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.policy = policy or FetchPolicy()
        self._resolver = resolver or system_resolver
        self._monotonic = monotonic
        timeout = httpx.Timeout(
            self.policy.timeout_s, connect=min(self.policy.connect_timeout_s, self.policy.timeout_s)
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,  # every hop is checked here, not by httpx
            trust_env=False,  # no proxies from the environment: the guard must see the real peer
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        page: bool = False,
        max_bytes: int | None = None,
        accept: str | None = None,
    ) -> FetchResult:
        """GET ``url`` within the policy. ``page=True`` checks robots.txt first (feeds are
        meant to be polled and are not checked). Raises a :class:`FetchError` subclass.
        """
        limit = max_bytes or self.policy.max_bytes
        headers = {"Accept": accept or (PAGE_ACCEPT if page else FEED_ACCEPT)}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self.policy.timeout_s) as deadline:
                return await self._follow(url, headers, limit, page, _Budget(deadline, self.policy.timeout_s))
        except TimeoutError:
            raise Timeout(url, f"no complete response within {self.policy.timeout_s:g} s") from None

    async def _follow(
        self, url: str, headers: dict[str, str], limit: int, page: bool, budget: _Budget, cut: bool = False
    ) -> FetchResult:
        current = check_url(url)
        visited = {str(current)}
        for hop in range(self.policy.max_redirects + 1):
            try:
                # The page's own address first: an address the guard refuses is refused for
                # good, with its own reason, not reported as a robots.txt that may come back.
                addresses = await resolve_checked(current, self.policy.allow_private, self._resolver)
                if page and self.policy.respect_robots:
                    await self._check_robots(current, budget)
            except FetchError as exc:
                if hop == 0 or isinstance(exc, HTTPStatus):
                    raise
                reason = f"redirected to {current}: {exc.reason}"
                if isinstance(exc, Refused):  # a robots.txt that could not be read may come back
                    raise Refused(url, reason, for_now=exc.for_now) from None
                raise type(exc)(url, reason) from None
            budget.pause()
            async with self._slot(current):
                budget.resume()
                response = await self._send(url, current, addresses, headers)
                try:
                    if response.status_code in REDIRECT_CODES:
                        location = response.headers.get("location", "").strip()
                        if not location:
                            raise HTTPStatus(url, response.status_code)
                        try:
                            target = check_url(current.join(location))
                        except Refused as exc:
                            shown = without_password(location)  # as every refusal names a URL
                            raise Refused(url, f"redirected to {shown}: {exc.reason}") from None
                        if str(target) in visited:
                            raise TooManyRedirects(url, f"redirect loop back to {target}")
                        visited.add(str(target))
                        current = target
                        continue
                    conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
                    return await self._result(url, current, response, limit, conditional, cut)
                except httpx.TimeoutException:
                    raise Timeout(url, f"{current.host} stopped sending") from None
                except httpx.HTTPError as exc:  # reset mid-body, a broken gzip stream, …
                    raise Unreachable(url, f"{current.host}: {type(exc).__name__} {one_line(str(exc), 120)}") from None
                finally:
                    await response.aclose()
        raise TooManyRedirects(url, f"more than {self.policy.max_redirects} redirects")

    def _slot(self, url: httpx.URL) -> asyncio.Semaphore:
        """The host's share of connections (``per_host``); a fetch waiting for one is not
        yet being answered, so its time limit is paused meanwhile (:class:`_Budget`)."""
        key = f"{url.scheme}://{url.host}:{url.port or ''}"
        slot = self._host_slots.get(key)
        if slot is None:
            slot = self._host_slots[key] = asyncio.Semaphore(self.policy.per_host)
        return slot

    async def _send(self, asked: str, url: httpx.URL, addresses: list[str], headers: dict[str, str]) -> httpx.Response:
        """Connect to the checked addresses themselves (in order, the next one if one
        refuses), naming the host in ``Host`` and, for https, in SNI and the certificate check.
        """
        host_header = url.netloc.decode("ascii")
        last: Exception | None = None
        for addr in addresses:
            request = self._client.build_request(
                "GET",
                url.copy_with(host=addr),
                headers={**headers, "Host": host_header},
                extensions={"sni_hostname": url.host} if url.scheme == "https" else None,
            )
            try:
                return await self._client.send(request, stream=True)
            except httpx.ConnectError as exc:
                last = exc
                continue
            except httpx.TimeoutException:
                raise Timeout(asked, f"{url.host} did not answer in time") from None
            except httpx.HTTPError as exc:
                raise Unreachable(asked, f"{url.host}: {type(exc).__name__} {one_line(str(exc), 120)}") from None
            except (OverflowError, ValueError) as exc:  # an address the socket layer refuses
                raise _unconnectable(asked, url, exc) from None
            except ExceptionGroup as group:  # the same, wrapped by anyio's connection attempts
                matched, rest = group.split((OverflowError, ValueError))
                if matched is None or rest is not None:
                    raise
                raise _unconnectable(asked, url, _first_leaf(matched)) from None
        raise Unreachable(asked, f"cannot connect to {url.host} ({one_line(str(last), 120) or 'connection failed'})")

    async def _result(
        self, asked: str, url: httpx.URL, response: httpx.Response, limit: int, conditional: bool, cut: bool
    ) -> FetchResult:
        status = response.status_code
        etag = response.headers.get("etag", "")
        last_modified = response.headers.get("last-modified", "")
        if status == 304 and conditional:
            return FetchResult(asked, str(url), 304, etag=etag, last_modified=last_modified)
        if not 200 <= status < 300:
            raise HTTPStatus(asked, status, parse_retry_after(response.headers.get("retry-after")))
        content = await _read_limited(asked, response, limit, cut)
        ctype = response.headers.get("content-type", "")
        return FetchResult(
            url=asked,
            final_url=str(url),
            status=status,
            content=content,
            content_type=ctype.split(";", 1)[0].strip().lower(),
            charset=response.charset_encoding or "",
            etag=etag,
            last_modified=last_modified,
        )

    # --- robots.txt ------------------------------------------------------------------

    async def _check_robots(self, url: httpx.URL, budget: _Budget) -> None:
        key = f"{url.scheme}://{url.netloc.decode('ascii')}"
        robots = await self._robots_for(key, budget)
        if robots.note:
            raise Refused(str(url), robots.note, for_now=robots.for_now)
        # in a thread, as the parse: a 500 KB file of wildcard rules takes milliseconds a page
        if not await asyncio.to_thread(robots.rules.can_fetch, str(url), ROBOTS_AGENT):
            raise Refused(str(url), "robots.txt disallows fetching this page")

    async def _robots_for(self, key: str, budget: _Budget) -> _Robots:
        lock = self._robots_locks.setdefault(key, asyncio.Lock())
        budget.pause()  # another page of the site is reading its robots.txt
        async with lock:
            budget.resume()
            cached = self._robots.get(key)
            now = self._monotonic()
            if cached and now - cached.fetched < (self.policy.robots_ttl_s if not cached.note else 600):
                return cached
            text = ""  # no rules: everything allowed
            note = ""
            for_now = False
            try:
                limit = self.policy.robots_max_bytes
                # one byte more than is parsed: it tells a file of exactly the limit from a cut one
                result = await self._follow(
                    f"{key}/robots.txt", {"Accept": "text/plain"}, limit + 1, False, budget, True
                )
                text = "\n".join(_robots_lines(result.content, limit))
            except HTTPStatus as exc:
                if exc.status in (401, 403):
                    note = f"robots.txt answered HTTP {exc.status}: the site refuses robots"
                elif exc.status >= 500 or exc.status == 429:
                    # Whether anyone asks again is the caller's to say: the poller does, a one-shot fetch not.
                    note, for_now = f"robots.txt unavailable (HTTP {exc.status})", True
            except Refused as exc:
                # Redirected where no fetch goes (loopback, metadata, file:): that will not
                # pass by itself, so the page is refused for good, with the guard's reason.
                note = f"robots.txt not fetched: {exc.reason}"
            except FetchError as exc:
                note, for_now = f"robots.txt unavailable ({exc.reason})", True
            # With a note every page is refused by it (no robots.txt at all: all allowed).
            rules = await asyncio.to_thread(Protego.parse, text)  # 0.4 s for 500 KB of wildcard rules
            robots = self._robots[key] = _Robots(rules, now, note, for_now)
            if len(self._robots) > 2000:  # a bounded cache: forget the oldest host
                self._robots.pop(next(iter(self._robots)))
            return robots


def _unconnectable(asked: str, url: httpx.URL, exc: BaseException) -> Refused:
    """A safety net behind :func:`check_url`: an address the socket layer will not even
    try (``OverflowError: port must be 0-65535``) is refused for good, never a traceback."""
    return Refused(asked, f"cannot connect to {url.host} port {url.port} ({one_line(str(exc), 120)})")


def _first_leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


ACCEPT_ENCODING = "gzip, deflate"
_COMPRESSIONS = {"gzip", "x-gzip", "deflate", "br", "zstd", "compress", "x-compress"}


def _compression(url: str, response: httpx.Response) -> str | None:
    """The compression the body needs undone, None for a plain one. Only what was asked
    for: httpx would also undo zstd, brotli and compressions stacked by the server, each a
    whole chunk at a time, so 30 kB on the wire could fill gigabytes before any limit.
    A value that names no compression (``none``, ``binary``, as misconfigured servers
    send) is read as plain, as httpx reads it."""
    named: list[str] = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
    compressions = [e for e in named if e in _COMPRESSIONS]
    if not compressions:
        return None
    if len(compressions) > 1 or compressions[0] not in {"gzip", "x-gzip", "deflate"}:
        raise Refused(url, f"content encoding {', '.join(compressions)!r} not accepted (only {ACCEPT_ENCODING})")
    return compressions[0]


def _robots_lines(content: bytes, limit: int) -> list[str]:
    """The lines of a robots.txt up to ``limit`` bytes (RFC 9309 lets a crawler stop
    there), ``content`` being read up to one byte more; a file that goes on past the
    limit loses the line the cut goes through, which says something else cut."""
    # utf-8-sig: a byte order mark had made the first line's "User-agent" unreadable
    if len(content) <= limit:
        return content.decode("utf-8-sig", "replace").splitlines()
    lines = content[:limit].decode("utf-8-sig", "replace").splitlines()
    whole = any(content[i : i + 1] in (b"\n", b"\r") for i in (limit - 1, limit))
    return lines if whole else lines[:-1]


async def _read_limited(url: str, response: httpx.Response, limit: int, cut: bool = False) -> bytes:
    """The body, decompressed, or :class:`TooLarge` as soon as it passes ``limit`` (with
    ``cut``, its first ``limit`` bytes): never buffered whole, and a compressed body never
    expanded past the limit either."""
    declared = response.headers.get("content-length", "")
    if not cut and declared.isdecimal() and int(declared) > limit:
        raise TooLarge(url, too_large(int(declared), limit, what="the response"))
    compression = _compression(url, response)
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 32) if compression else None  # a gzip or a zlib header
    started = False
    chunks: list[bytes] = []
    total = 0

    def take(data: bytes) -> None:
        nonlocal total
        total += len(data)
        if total > limit:
            if not cut:
                raise TooLarge(url, past_limit(limit, what="the response"))
            data, total = data[: len(data) - (total - limit)], limit
        chunks.append(data)

    def full() -> bool:
        return cut and total >= limit

    try:
        async for raw in response.aiter_raw():
            if full():
                break
            if decoder is None:
                take(raw)
                if full():
                    break  # not waiting for a next chunk a server may never send
                continue
            while raw and not full():
                try:
                    out = decoder.decompress(raw, limit - total + 1)
                except zlib.error:
                    if started or compression != "deflate":
                        raise
                    decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent without its zlib header
                    started = True
                    continue
                started = True
                take(out)
                raw = decoder.unconsumed_tail
            if full():
                break
        if decoder is not None and not full():
            take(decoder.flush())
    except zlib.error as exc:
        raise FetchError(url, f"a compressed body that does not decompress ({exc})") from None
    return b"".join(chunks)
