"""The live corpus's settings from the environment."""

from __future__ import annotations

import pytest

from ingest.live.settings import LiveSettings
from vectorstore.settings import SettingsError

from .conftest import run_cli


def test_defaults():
    settings = LiveSettings.from_env({})
    policy = settings.fetch_policy()
    assert (policy.allow_private, policy.max_bytes, policy.timeout_s, policy.per_host) == (False, 5_000_000, 30.0, 2)
    assert policy.user_agent.startswith("absatz/")
    assert (settings.interval_s, settings.languages, settings.watch_quiet_ms) == (900, ("de", "en"), 1000)
    assert (settings.watch, settings.poll, settings.follows_per_user) == (True, True, 10)


def test_from_the_environment():
    settings = LiveSettings.from_env(
        {
            "FEEDS_ALLOW_PRIVATE": "true",
            "FEEDS_USER_AGENT": "absatz-test/1 (+mailto:ops@example.com)",
            "FEEDS_MAX_BYTES": "1000000",
            "FEEDS_TIMEOUT_S": "5",
            "FEEDS_PER_HOST": "1",
            "FEEDS_INTERVAL_S": "60",
            "FEEDS_LANGUAGES": "de",
            "WATCH_QUIET_MS": "250",
            "WATCH_CORPUS": "false",
            "FEEDS_POLL": "no",
            "FOLLOWS_PER_USER": "3",
        }
    )
    policy = settings.fetch_policy()
    assert (policy.allow_private, policy.user_agent, policy.max_bytes, policy.timeout_s, policy.per_host) == (
        True,
        "absatz-test/1 (+mailto:ops@example.com)",
        1_000_000,
        5.0,
        1,
    )
    assert (settings.interval_s, settings.languages, settings.watch_quiet_ms) == (60, ("de",), 250)
    assert (settings.watch, settings.poll, settings.follows_per_user) == (False, False, 3)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"FEEDS_ALLOW_PRIVATE": "vielleicht"}, "FEEDS_ALLOW_PRIVATE='vielleicht' is not true/false"),
        ({"FEEDS_TIMEOUT_S": "0"}, "FEEDS_TIMEOUT_S='0' must be a positive whole number"),
        ({"FEEDS_MAX_BYTES": "5 MB"}, "FEEDS_MAX_BYTES='5 MB' is not a whole number"),
        ({"FEEDS_INTERVAL_S": "30"}, "FEEDS_INTERVAL_S=30 must be between 60 and 604800"),
        ({"FEEDS_LANGUAGES": " , "}, "FEEDS_LANGUAGES names no language (e.g. de,en)"),
        (
            {"FEEDS_LANGUAGES": "de,english"},
            "FEEDS_LANGUAGES='de,english': 'english' is not a two-letter language code like de or en",
        ),
        ({"WATCH_CORPUS": "ja"}, "WATCH_CORPUS='ja' is not true/false"),
        ({"FOLLOWS_PER_USER": "0"}, "FOLLOWS_PER_USER='0' must be between 1 and 50"),
        # /following lists every follow in one message: 100 had cut the last ids off
        ({"FOLLOWS_PER_USER": "100"}, "FOLLOWS_PER_USER='100' must be between 1 and 50"),
        (
            {"FEEDS_USER_AGENT": "a\r\nX-Evil: 1"},
            "FEEDS_USER_AGENT holds a line break, a control character or a "
            "non-ASCII letter, which an HTTP header cannot carry ('a\\r\\nX-Evil: 1')",
        ),
    ],
)
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(SettingsError) as err:
        LiveSettings.from_env(env)
    assert str(err.value) == message


def test_language_codes_are_read_in_any_case():
    assert LiveSettings.from_env({"FEEDS_LANGUAGES": "DE, En"}).languages == ("de", "en")
    assert LiveSettings.from_env({"FEEDS_LANGUAGES": " "}).languages == ("de", "en")  # empty: the default


def test_a_language_name_instead_of_a_code_stops_the_command(capsys, monkeypatch):
    """``german`` was taken, and then every page was refused: "only german articles are ingested"."""
    monkeypatch.setenv("FEEDS_LANGUAGES", "german")
    code, _, err = run_cli(capsys, "feed", "list")
    assert code == 2 and "Traceback" not in err
    assert err.strip() == (
        "absatz: error: FEEDS_LANGUAGES='german': 'german' is not a two-letter language code like de or en"
    )
