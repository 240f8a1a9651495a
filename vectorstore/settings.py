"""Store and embedding settings, read once from the environment (and ``.env``)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit

from .errors import SettingsError

DEFAULT_EMBEDDING_MODEL = "bundled:multilingual-e5-small"
MAX_PORT = 65535
# Chroma's rule for a collection name (3-63 characters, s3-bucket-like), less what a
# generation adds: ``<name>-<8 hex>.sentences``. Chroma's own error came as a traceback.
MAX_COLLECTION = 63 - len("-12345678.sentences")
_COLLECTION = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{1,{MAX_COLLECTION - 2}}}[A-Za-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# The variable each value that :meth:`StoreSettings.checked` looks at is read from.
VARIABLES = {
    "chroma_path": "CHROMA_PATH",
    "chroma_host": "CHROMA_HOST",
    "chroma_port": "CHROMA_PORT",
    "collection": "CHROMA_COLLECTION",
    "index_dir": "INDEX_DIR",
}


@overload
def env_path(env: Mapping[str, str], name: str, default: str) -> Path: ...
@overload
def env_path(env: Mapping[str, str], name: str, default: None) -> Path | None: ...
def env_path(env: Mapping[str, str], name: str, default: str | None) -> Path | None:
    """A folder or file a variable names, ``~`` read as the home folder: a ``.env`` file
    is read by no shell, and ``CHROMA_PATH=~/absatz`` had named a folder called ``~``."""
    value = env.get(name, "").strip() or default
    return Path(value).expanduser() if value else None


def env_int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None


def env_positive(env: Mapping[str, str], name: str, default: int, most: int | None = None) -> int:
    """A count, size or port: 0 or less is refused by name rather than read as the default
    (``ASK_COOLDOWN_RATE=-3`` refused every question, ``MAX_FILE_BYTES=-1`` every file)."""
    value = env_int(env, name, default)
    if value is None or value <= 0 or (most is not None and value > most):
        bound = f"between 1 and {most}" if most is not None else "a positive whole number"
        raise SettingsError(f"{name}={env.get(name)!r} must be {bound}")
    return value


def _not_a_folder(path: Path) -> str | None:
    """Why ``path`` cannot hold a store (a file, a name too long), or None: a store folder
    that is a file had said "no index … ingest articles first", which cannot help."""
    try:
        if path.exists() and not path.is_dir():
            return "is a file, not a folder"
    except OSError as exc:
        return f"cannot be used ({exc.strerror or exc})"
    return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def env_seconds(env: Mapping[str, str], name: str, default: float, most: float = 3600.0) -> float:
    """Seconds above 0 and at most ``most``: beyond a socket's range (``inf``, ``1e12``)
    the client had failed with a traceback on its first connection."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= most:
        raise SettingsError(f"{name}={raw!r} must be a number of seconds above 0 and at most {most:g}")
    return value


def header_safe(name: str, value: str, secret: bool = True) -> str:
    """``value``, if an HTTP header can carry it. A line break inside a token had reached
    the error message, and the audit log, as part of httpx's "Illegal header value"; a
    secret's refusal names the variable, never the value."""
    if any(not " " <= c <= "~" for c in value):
        shown = "(its value is not shown)" if secret else f"({value!r})"
        raise SettingsError(
            f"{name} holds a line break, a control character or a non-ASCII letter, which an HTTP header "
            f"cannot carry {shown}"
        )
    return value


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r} is not true/false")


@dataclass(frozen=True)
class StoreSettings:
    chroma_path: Path = Path("data/chroma")
    chroma_host: str = ""
    chroma_port: int = 8000
    chroma_ssl: bool = False
    chroma_auth_token: str = field(default="", repr=False)
    # Server mode: a request without an answer after this long means the server is unreachable.
    chroma_timeout_s: float = 30.0
    collection: str = "absatz"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_device: str = "cpu"
    index_dir: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StoreSettings:
        env = os.environ if env is None else env
        device = env.get("EMBEDDING_DEVICE", "cpu").strip().lower() or "cpu"
        if device not in ("cpu", "cuda", "auto") and not device.startswith("cuda:"):
            raise SettingsError(f"EMBEDDING_DEVICE={device!r} must be cpu, cuda or auto")
        return cls(
            chroma_path=env_path(env, "CHROMA_PATH", "data/chroma"),
            chroma_host=env.get("CHROMA_HOST", "").strip(),
            chroma_port=env_positive(env, "CHROMA_PORT", 8000, most=MAX_PORT),
            chroma_ssl=env_bool(env, "CHROMA_SSL", False),
            chroma_auth_token=header_safe("CHROMA_AUTH_TOKEN", env.get("CHROMA_AUTH_TOKEN", "").strip()),
            chroma_timeout_s=env_seconds(env, "CHROMA_TIMEOUT_S", 30.0),
            collection=env.get("CHROMA_COLLECTION", "").strip() or "absatz",
            embedding_model=env.get("EMBEDDING_MODEL", "").strip() or DEFAULT_EMBEDDING_MODEL,
            embedding_device=device,
            index_dir=env_path(env, "INDEX_DIR", None),
        ).checked(VARIABLES)

    def with_overrides(self, names: Mapping[str, str] | None = None, **changes: Any) -> StoreSettings:
        """These settings with some values replaced (``None`` keeps one). The new values
        pass the environment's checks, named as ``names`` says (the command line passes
        its options) or by their keyword: an option reaches chromadb as directly as a
        variable does."""
        given = {k: v for k, v in changes.items() if v is not None}
        named = {f: (names or {}).get(f, f) for f in VARIABLES}
        # a folder kept from the environment is named by its variable
        folders = {f: named[f] if f in given else VARIABLES[f] for f in VARIABLES}
        return replace(self, **given).checked(named).folders_checked(folders)

    def folders_checked(self, names: Mapping[str, str]) -> StoreSettings:
        """These settings, if the folders they will use can be folders. Checked on the final
        settings, not on the environment's alone: a ``CHROMA_PATH`` that a command line
        overrides, or that ``--chroma-host`` makes unused, must not stop the command."""
        used = None if self.chroma_host else self.chroma_path
        for name, folder in (("chroma_path", used), ("index_dir", self.index_dir)):
            trouble = _not_a_folder(folder) if folder is not None else None
            if trouble:
                raise SettingsError(f"{names[name]}={str(folder)!r} {trouble}")
        return self

    def checked(self, names: Mapping[str, str]) -> StoreSettings:
        """These settings, if chromadb can use them; else a :class:`SettingsError` naming
        the value by ``names`` (field → variable or keyword). chromadb would append the
        port to a ``host:port`` or a bare IPv6 address and fail with a traceback, and an
        empty collection name points at the store folder itself. A collection name's
        rule is spelled out, ASCII included: "letters" read as allowing ``nachrichten-ü``."""
        host = self.chroma_host.strip()
        scheme, sep, rest = host.partition("://")
        if sep and scheme.lower() in ("http", "https"):
            host = f"{scheme.lower()}://{rest}"  # chromadb reads "HTTP://…" as a host name
            parts = urlsplit(host)
            if "@" in parts.netloc:  # its value is not shown: it holds a password
                raise SettingsError(
                    f"{names['chroma_host']} must not hold a user name or password (a token goes in CHROMA_AUTH_TOKEN)"
                )
            try:
                port = parts.port
            except ValueError:
                port = 0
            has_port = ":" in parts.netloc.rpartition("]")[2]  # "h:" and "h:0" too
            if not parts.hostname or (has_port and not port):
                raise SettingsError(f"{names['chroma_host']}={host!r} is not a URL of a server")
        elif host.startswith("["):  # an IPv6 address, the port apart ("[::1]:8000" had been a traceback)
            if not (host.endswith("]") and _is_ip(host[1:-1]) and ":" in host):
                raise SettingsError(
                    f"{names['chroma_host']}={host!r}: brackets hold an IPv6 address alone, "
                    f"the port goes in {names['chroma_port']}"
                )
        elif host.lower().startswith("http"):  # chromadb takes "httpserver" for a URL, without the port
            raise SettingsError(
                f"{names['chroma_host']}={host!r}: chromadb reads a host whose name begins with 'http' as a URL; "
                f"write it as one (http://{host}:{self.chroma_port})"
            )
        elif host:
            if _is_ip(host) and ":" in host:
                raise SettingsError(f"{names['chroma_host']}={host!r}: write an IPv6 address in brackets, [{host}]")
            if ":" in host or "/" in host or any(c.isspace() for c in host):
                raise SettingsError(
                    f"{names['chroma_host']}={host!r} must be a host name, an address or a URL: "
                    f"the port goes in {names['chroma_port']}"
                )
        if not 1 <= self.chroma_port <= MAX_PORT:
            raise SettingsError(f"{names['chroma_port']}={self.chroma_port} must be between 1 and {MAX_PORT}")
        if not self.collection.strip():
            raise SettingsError(f"{names['collection']}={self.collection!r} names no collection (e.g. absatz)")
        if not _COLLECTION.fullmatch(self.collection) or ".." in self.collection:
            raise SettingsError(
                f"{names['collection']}={self.collection!r} must be 3 to {MAX_COLLECTION} ASCII letters (a-z, A-Z), "
                "digits, '.', '_' or '-', starting and ending with a letter or digit, with no '..'"
            )
        if _IPV4.fullmatch(self.collection):  # Chroma's rule too: its error blamed the store
            raise SettingsError(f"{names['collection']}={self.collection!r} must not be an IP address")
        return replace(self, chroma_host=host) if host != self.chroma_host else self

    @property
    def read_index_dir(self) -> Path | None:
        """Where readers keep the derived search index. Embedded stores keep it beside
        Chroma; in server mode each process builds its own unless INDEX_DIR names a
        folder (the server holds no files of ours)."""
        if self.index_dir:
            return self.index_dir / self.collection
        if self.chroma_host:
            return None
        return self.chroma_path / "index" / self.collection

    @property
    def location(self) -> str:
        if self.chroma_host:
            return f"{self.server_url}/{self.collection}"
        return f"{self.chroma_path}/{self.collection}"

    @property
    def server_url(self) -> str:
        """The server chromadb connects to, as it reads ``CHROMA_HOST``: a URL as it is,
        on its own port or its scheme's (``CHROMA_PORT`` unused); a host on
        ``CHROMA_PORT``. The store's location had said "http://http://…:8000" for a URL."""
        host = self.chroma_host
        if host.startswith(("http://", "https://")):
            parts = urlsplit(host)
            scheme = "https" if self.chroma_ssl else parts.scheme
            name = parts.hostname or ""
            name = f"[{name}]" if ":" in name else name
            port = parts.port or (443 if scheme == "https" else 80)
            return f"{scheme}://{name}:{port}{parts.path.rstrip('/')}"
        return f"{'https' if self.chroma_ssl else 'http'}://{host}:{self.chroma_port}"
