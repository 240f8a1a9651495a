"""URLs as identities: the canonical form of an article URL, its site slug, its article id.

An article reached through two feeds, with tracking parameters or a fragment, is the same
article: its id is derived from the canonical URL only, so a later edit updates it in
place instead of adding a second copy.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ingest.parse import validate_article_id

WEB_DIR = "web"

# Parameters that only say how a reader arrived, never which article it is.
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|wt_mc|wt_zmc|wt\.[a-z_]+|at_[a-z_]+|xtor|cmpid|"
    r"ns_mchannel|ns_source|ns_campaign|ns_linkname|ns_fee|icid|ito|_ga|_gl|igshid|ocid|wtmc)$",
    re.IGNORECASE,
)
_DEFAULT_PORT = {"http": 80, "https": 443}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def without_password(url: str) -> str:
    """``url`` as it may be shown and audited: a password in it (refused, never fetched)
    as ``***``; anything that is no URL as it is."""
    head, sep, rest = url.partition("://")
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    netloc, tail = rest[:end], rest[end:]
    if not sep or "@" not in netloc:
        return url
    userinfo, _, host = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{head}://{user}:***@{host}{tail}" if ":" in userinfo else url


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters.

    Path and the remaining query are kept as they are: on news sites they name the article.
    Only control characters are percent-encoded, as browsers do: a feed's link holding
    terminal escape sequences had reached the admin's terminal and the audit log in the
    feed's notes. A host holding one is no host (``ValueError``).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if _CONTROL.search(host):
        raise ValueError(f"control character in the host of {url!r}")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORT.get(scheme) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    path = _CONTROL.sub(lambda m: quote(m.group()), parts.path) or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def canonical_or_none(url: str) -> str | None:
    """:func:`canonical_url`, or None for an address whose port is not a port
    (``http://e.com:99999/a``): one such link in a feed must not fail the others."""
    try:
        return canonical_url(url)
    except ValueError:
        return None


def same_site(a: str, b: str) -> bool:
    """Whether two URLs belong to one site (``www.`` and sub-domains of each other count).

    A page may name its canonical URL; one on a foreign site is not believed, or a page
    could take over the id (and so the file) of another site's article.
    """
    ha = _bare_host(a)
    hb = _bare_host(b)
    return bool(ha and hb) and (ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha))


def _bare_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def site_slug(url: str) -> str:
    """``https://www.tagesschau.de/…`` → ``tagesschau-de``: a folder name and id prefix."""
    slug = re.sub(r"[^a-z0-9]+", "-", _bare_host(url)).strip("-")
    return (slug or "site")[:60].strip("-")


def article_id_for(url: str) -> str:
    """``<site-slug>-<first 12 hex of sha1(canonical url)>``: stable for the article's life."""
    canonical = canonical_url(url)
    digest = hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:12]
    return validate_article_id(f"{site_slug(canonical)}-{digest}")


def article_path(corpus_dir: Path, url: str) -> Path:
    """Where the article of ``url`` lives in the corpus: ``web/<site-slug>/<article-id>.md``."""
    canonical = canonical_url(url)
    return Path(corpus_dir) / WEB_DIR / site_slug(canonical) / f"{article_id_for(canonical)}.md"
