"""Every text a user reads, in the two languages users write in: one table, one lookup.

The question's language picks them (or, for commands without a question, the client's
locale). Errors of the :class:`~vectorstore.errors.AbsatzError` tree are found here by
their ``key`` (``error.<key>``); an error without an entry keeps its English message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vectorstore.text import shorten

TEXTS: dict[str, dict[str, str]] = {
    # --- answers -----------------------------------------------------------------
    "not_found": {"de": "Dazu finde ich nichts im Korpus.", "en": "I found nothing about this in the corpus."},
    "follow_up_not_found": {
        "de": "Dazu finde ich für „{name}“ nichts im Korpus.",
        "en": "I found nothing about this for “{name}” in the corpus.",
    },
    "empty_question": {"de": "Bitte stelle eine Frage.", "en": "Please ask a question."},
    "about_me": {
        "de": "Ich bin absatz und beantworte Fragen zu den Nachrichtenartikeln im Korpus: Zu jeder Antwort nenne "
        "ich den Artikel und den Absatz, aus dem sie stammt. Frag mich, wer, wann, wo, wie viel oder warum.",
        "en": "I'm absatz and answer questions about the news articles in the corpus, citing the article and "
        "paragraph each answer comes from. Ask me who, when, where, how much or why.",
    },
    "as_of": {"de": "Stand {date}: ", "en": "As of {date}: "},
    "source_button": {"de": "Quelle {n}", "en": "Source {n}"},
    "sources_footer": {"de": "{n} Quellen · {took}", "en": "{n} sources · {took}"},
    "one_source_footer": {"de": "1 Quelle · {took}", "en": "1 source · {took}"},
    "no_source_footer": {"de": "keine Quelle · {took}", "en": "no source · {took}"},
    "cooldown": {"de": "Bitte warte noch {s} s, bevor du wieder fragst.", "en": "Please try again in {s} s."},
    "too_long": {
        "de": "Die Frage ist zu lang (höchstens {n} Zeichen).",
        "en": "The question is too long (at most {n} characters).",
    },
    "error": {
        "de": "Da ist etwas schiefgelaufen. Bitte versuche es gleich noch einmal.",
        "en": "Something went wrong. Please try again in a moment.",
    },
    "unknown_source": {"de": "Keine Quelle {id} im Korpus.", "en": "No source {id} in the corpus."},
    "unknown_article": {"de": "Kein Artikel {id} im Korpus.", "en": "No article {id} in the corpus."},
    "no_matches": {"de": "Keine Treffer im Korpus.", "en": "No matches in the corpus."},
    "only_distant": {
        "de": "Nichts im Korpus passt genau – das Nächstliegende:",
        "en": "Nothing in the corpus matches closely – the nearest paragraphs:",
    },
    "thanks": {"de": "Danke für dein Feedback!", "en": "Thanks for your feedback!"},
    "feedback_title": {"de": "Was war falsch?", "en": "What was wrong?"},
    "feedback_label": {"de": "Beschreibung", "en": "Description"},
    "feedback_placeholder": {
        "de": "Freiwillig: dein 👎 ist schon gezählt.",
        "en": "Optional: your 👎 has already been counted.",
    },
    "shortened": {"de": "(gekürzt)", "en": "(shortened)"},
    "paragraphs": {"de": "Absätze", "en": "Paragraphs"},
    "headings": {"de": "Zwischentitel", "en": "Headings"},
    "related": {"de": "Zum selben Thema (neueste zuerst)", "en": "On the same subject (newest first)"},
    # --- /stats --------------------------------------------------------------------
    "stats_articles": {"de": "Artikel", "en": "Articles"},
    "stats_paragraphs": {"de": "Absätze", "en": "Paragraphs"},
    "stats_passages": {"de": "Passagen", "en": "Passages"},
    "stats_embedder": {"de": "Embedder", "en": "Embedder"},
    "stats_last_ingest": {"de": "Letzter Ingest", "en": "Last ingest"},
    "stats_ingest_counts": {
        "de": "{added} neu, {updated} geändert, {removed} entfernt, {unchanged} unverändert, {failed} fehlgeschlagen",
        "en": "{added} added, {updated} updated, {removed} removed, {unchanged} unchanged, {failed} failed",
    },
    "stats_removed": {"de": "Artikel {what} entfernt", "en": "article {what} removed"},
    "stats_imported": {"de": "importiert aus {what}", "en": "imported from {what}"},
    "stats_feedback": {"de": "Feedback", "en": "Feedback"},
    "stats_votes": {"de": "{answers} Antworten · 👍 {up} · 👎 {down}", "en": "{answers} answers · 👍 {up} · 👎 {down}"},
    "stats_audit": {"de": "Admin-Log", "en": "Admin log"},
    "never": {"de": "nie", "en": "never"},
    # --- admins ----------------------------------------------------------------------
    "admins_only": {
        "de": "Nur Admins (Server verwalten oder Admin-Rolle) dürfen das.",
        "en": "Only admins (Manage Server or an admin role) may do this.",
    },
    "ingest_running_here": {
        "de": "Ein Ingest läuft bereits (gestartet von {who}).",
        "en": "An ingest is already running (started by {who}).",
    },
    "ingest_progress": {
        "de": "⏳ Ingest läuft: {done}/{total} Artikel · {paragraphs} Absätze eingebettet · {elapsed:.0f} s",
        "en": "⏳ Ingest running: {done}/{total} articles · {paragraphs} paragraphs embedded · {elapsed:.0f} s",
    },
    "ingest_done": {
        "de": "✅ Ingest fertig ({seconds:.1f} s): {added} neu, {updated} geändert, {removed} entfernt, "
        "{unchanged} unverändert, {failed} fehlgeschlagen; {paragraphs} Absätze eingebettet",
        "en": "✅ Ingest finished ({seconds:.1f} s): {added} added, {updated} updated, {removed} removed, "
        "{unchanged} unchanged, {failed} failed; {paragraphs} paragraphs embedded",
    },
    "failed": {"de": "⛔ Fehlgeschlagen: {reason}", "en": "⛔ Failed: {reason}"},
    "rejected": {"de": "⛔ Abgelehnt: {reason}", "en": "⛔ Rejected: {reason}"},
    "upload_busy": {
        "de": "⛔ Abgelehnt: Gerade läuft ein anderer Ingest (gestartet von {holder}). "
        "Es wurde nichts geändert; lade `{name}` erneut hoch, wenn er fertig ist.",
        "en": "⛔ Rejected: another ingest is running (started by {holder}). "
        "Nothing was changed; upload `{name}` again when it has finished.",
    },
    "upload_failed": {
        "de": "⛔ Fehlgeschlagen: {reason} (`{name}` wurde nicht übernommen.)",
        "en": "⛔ Failed: {reason} (`{name}` was not kept.)",
    },
    "remove_confirm": {
        "de": "Artikel `{id}` ({title}) wirklich entfernen? Die Datei kommt in den Papierkorb.",
        "en": "Really remove article `{id}` ({title})? Its file moves to the trash.",
    },
    "remove_button": {"de": "Entfernen", "en": "Remove"},
    "cancel_button": {"de": "Abbrechen", "en": "Cancel"},
    "cancelled": {"de": "Abgebrochen.", "en": "Cancelled."},
    "remove_expired": {
        "de": "⌛ `{id}` nicht entfernt: die Bestätigung ist abgelaufen. Zum Entfernen `/remove` neu aufrufen.",
        "en": "⌛ `{id}` not removed: the confirmation expired. Run `/remove` again to remove it.",
    },
    "remove_lapsed": {
        "de": "⌛ Diese Bestätigung gilt nicht mehr (abgelaufen oder der Bot wurde neu gestartet). "
        "Zum Entfernen `/remove` neu aufrufen.",
        "en": "⌛ This confirmation no longer holds (it expired, or the bot restarted). "
        "Run `/remove` again to remove the article.",
    },
    "removed": {"de": "🗑️ `{id}` entfernt.", "en": "🗑️ Removed `{id}`."},
    "removed_trash": {"de": " Datei im Papierkorb: `{file}`", "en": " File in the trash: `{file}`"},
    # --- channel scopes, forums, gaps, analytics -------------------------------------
    "scope_footer": {"de": "gesucht in: {what}", "en": "searched: {what}"},
    "scope_days": {"de": "letzte {n} Tage", "en": "last {n} days"},
    "scope_since": {"de": "ab {date}", "en": "since {date}"},
    "scope_all": {"de": "ganzes Korpus", "en": "whole corpus"},
    "scope_mode_mention": {"de": "antwortet auf Erwähnungen", "en": "answers mentions"},
    "scope_mode_auto": {"de": "antwortet auf jede Nachricht", "en": "answers every message"},
    "scope_saved": {"de": "✅ {channel} durchsucht jetzt: {what}", "en": "✅ {channel} now searches: {what}"},
    "scope_is": {"de": "{channel} durchsucht: {what}", "en": "{channel} searches: {what}"},
    "scope_cleared": {
        "de": "✅ {channel} durchsucht wieder das ganze Korpus.",
        "en": "✅ {channel} searches the whole corpus again.",
    },
    "scope_cannot_see": {
        "de": "⛔ Ich kann {channel} nicht sehen; es wurde nichts gespeichert.",
        "en": "⛔ I cannot see {channel}; nothing was saved.",
    },
    "unanswered_tag": {"de": "unbeantwortet", "en": "unanswered"},
    "gaps_title": {
        "de": "Was das Korpus nicht beantworten konnte (letzte {days} Tage)",
        "en": "What the corpus could not answer (last {days} days)",
    },
    "gaps_none": {
        "de": "Keine Lücken: Jede Frage in Discord der letzten {days} Tage wurde beantwortet.",
        "en": "No gaps: every question asked in Discord in the last {days} days was answered.",
    },
    "gaps_line": {"de": "{count}× · {refused} abgelehnt · 👎 {down}", "en": "{count}× · {refused} refused · 👎 {down}"},
    "gaps_reasons": {"de": "👎-Gründe: {reasons}", "en": "👎 reasons: {reasons}"},
    "gaps_wordings": {"de": "auch: {wordings}", "en": "also: {wordings}"},
    "stats_week": {"de": "Letzte 7 Tage", "en": "Last 7 days"},
    "stats_week_line": {
        "de": "{questions} Fragen · {answered} beantwortet · {refused} abgelehnt · "
        "👍 {up} / 👎 {down} · Median {latency:.0f} ms",
        "en": "{questions} questions · {answered} answered · {refused} refused · 👍 {up} / 👎 {down} · "
        "median {latency:.0f} ms",
    },
    "stats_channels": {"de": "Aktivste Kanäle", "en": "Busiest channels"},
    "chart_answered": {"de": "beantwortet", "en": "answered"},
    "chart_refused": {"de": "abgelehnt", "en": "refused"},
    # --- the live corpus: feeds, pages, announcements, follows ------------------------
    "feed_added": {
        "de": "✅ Feed hinzugefügt: {url} (alle {interval}{category}). Erster Abruf: {items} Einträge, "
        "{written} Artikel geschrieben – neue werden gleich eingelesen und angekündigt.",
        "en": "✅ Feed added: {url} (every {interval}{category}). First poll: {items} items, "
        "{written} articles written – new ones are ingested and announced shortly.",
    },
    "feed_added_failing": {
        "de": "⚠️ Feed hinzugefügt: {url} (alle {interval}{category}), aber der erste Abruf "
        "schlug fehl: {error}. Er wird mit wachsendem Abstand erneut versucht.",
        "en": "⚠️ Feed added: {url} (every {interval}{category}), but the first poll failed: "
        "{error}. It is retried with growing intervals.",
    },
    "feed_category": {"de": ", Kategorie {category}", "en": ", category {category}"},
    "feed_removed": {
        "de": "🗑️ Feed entfernt: {url}. Die {n} Artikel, die er brachte, bleiben im Korpus.",
        "en": "🗑️ Feed removed: {url}. The {n} articles it brought stay in the corpus.",
    },
    "feeds_none": {
        "de": "Keine Feeds registriert; füge einen mit `/feed add` hinzu.",
        "en": "No feeds registered; add one with `/feed add`.",
    },
    "feeds_title": {"de": "Feeds ({n})", "en": "Feeds ({n})"},
    "feed_every": {"de": "alle {interval}", "en": "every {interval}"},
    "feed_last_success": {"de": "letzter Erfolg: {when}", "en": "last success: {when}"},
    "feed_last_error": {"de": "letzter Fehler ({when}): {error}", "en": "last error ({when}): {error}"},
    "feed_failures": {
        "de": "{n} Fehlschläge in Folge, nächster Versuch {when}",
        "en": "{n} failures in a row, next try {when}",
    },
    "feed_articles": {"de": "{n} Artikel eingelesen", "en": "{n} articles ingested"},
    "announce_title": {"de": "Neu im Korpus", "en": "New in the corpus"},
    "announce_part": {"de": "Neu im Korpus ({part}/{parts})", "en": "New in the corpus ({part}/{parts})"},
    "announce_capped": {
        "de": "Neu im Korpus: {n} Artikel, hier die ersten {shown} ({part}/{parts})",
        "en": "New in the corpus: {n} articles, the first {shown} listed ({part}/{parts})",
    },
    "upload_one": {
        "de": "⛔ Bitte genau eins angeben: eine Datei (`file`) oder eine Adresse (`url`).",
        "en": "⛔ Give exactly one: a file (`file`) or a web address (`url`).",
    },
    "upload_page": {"de": "📰 {link}", "en": "📰 {link}"},
    "live_ingest_waiting": {
        "de": "⏳ Die Seite ist gespeichert; ihr Ingest wartet noch auf einen anderen ({holder}).",
        "en": "⏳ The page is saved; its ingest is still waiting for another one ({holder}).",
    },
    "follow_saved": {
        "de": "🔔 Gespeichert (#{id}): Du bekommst eine DM, sobald ein neuer Artikel „{query}“ "
        "beantwortet. ({n} von höchstens {limit})",
        "en": "🔔 Saved (#{id}): you get a DM as soon as a new article answers “{query}”. ({n} of at most {limit})",
    },
    "unfollowed": {"de": "🔕 Du folgst „{query}“ nicht mehr.", "en": "🔕 You no longer follow “{query}”."},
    "following_none": {
        "de": "Du folgst noch nichts. Mit `/follow` speicherst du eine Suche.",
        "en": "You follow nothing yet. Save a query with `/follow`.",
    },
    "following_title": {"de": "Du folgst ({n} von höchstens {limit})", "en": "You follow ({n} of at most {limit})"},
    "follow_dm_title": {"de": "Neu zu „{query}“", "en": "New on “{query}”"},
    "follow_more": {
        "de": "… und {n} weitere neue Artikel zu deinen Follows, nicht einzeln geschickt: frag mit /ask danach.",
        "en": "… and {n} more new articles on what you follow, not sent one by one: ask about them with /ask.",
    },
    "follow_dm_footer": {
        "de": "Du folgst „{query}“ · abbestellen mit /unfollow",
        "en": "You follow “{query}” · stop with /unfollow",
    },
    # --- errors (by AbsatzError.key) ---------------------------------------------------
    "error.unavailable": {
        "de": "Der Index ist gerade nicht erreichbar. Bitte versuche es gleich noch einmal.",
        "en": "The index is unavailable right now. Please try again shortly.",
    },
    "error.unknown_source": {"de": "Keine Quelle {id} im Korpus.", "en": "No source {id} in the corpus."},
    "error.bad_citation_id": {
        "de": "„{value}“ ist keine Quellen-ID wie 000_a05d8c91f093345a#2.",
        "en": "“{value}” is not a citation id like 000_a05d8c91f093345a#2.",
    },
    "error.bad_date": {
        "de": "„{value}“ ist kein Datum wie 2023-09 oder 2023-09-14.",
        "en": "“{value}” is not a date like 2023-09 or 2023-09-14.",
    },
    "error.empty_period": {
        "de": "Der Zeitraum beginnt ({since}) nach seinem Ende ({until}).",
        "en": "The period starts ({since}) after it ends ({until}).",
    },
    "error.ingest_busy": {
        "de": "Gerade läuft schon ein Ingest ({holder}).",
        "en": "An ingest is already running ({holder}).",
    },
    "error.unknown_names": {
        "de": "`{option}`: „{value}“ gibt es im Korpus nicht (vorhanden: {known}).",
        "en": "`{option}`: “{value}” is not in the corpus (known: {known}).",
    },
    "error.bad_window": {
        "de": "`since`: „{value}“ ist weder ein Zeitfenster wie 90d oder 3 Monate "
        "(1 Tag bis 100 Jahre) noch ein Datum wie 2024-05.",
        "en": "`since`: “{value}” is neither a window like 90d or 3 months (1 day to 100 years) "
        "nor a date like 2024-05.",
    },
    "error.bad_mode": {
        "de": "`mode`: „{value}“ – erlaubt sind {modes}.",
        "en": "`mode`: “{value}” – allowed: {modes}.",
    },
    "error.no_index": {
        "de": "Es gibt noch keinen Index: zuerst Artikel einlesen.",
        "en": "There is no index yet: ingest articles first.",
    },
    "error.records_unusable": {
        "de": "Die Datenbank des Bots ist gerade nicht nutzbar. Bitte versuche es gleich noch einmal.",
        "en": "The bot's database cannot be used right now. Please try again shortly.",
    },
    # the live corpus (ingest.live: LiveError and its branches; the detail stays as the library words it)
    "error.live": {"de": "{subject}: {reason}", "en": "{subject}: {reason}"},
    "error.live_write": {"de": "{subject}: {reason}", "en": "{subject}: {reason}"},
    "error.fetch": {"de": "Abruf fehlgeschlagen: {subject} ({reason})", "en": "Fetch failed: {subject} ({reason})"},
    "error.fetch_refused": {
        "de": "Nicht abgerufen: {subject} ({reason}). Abgerufen werden nur öffentliche "
        "http(s)-Adressen, die robots.txt nicht sperrt.",
        "en": "Not fetched: {subject} ({reason}). Only public http(s) addresses that robots.txt allows are fetched.",
    },
    "error.fetch_too_large": {"de": "Zu groß: {subject} ({reason})", "en": "Too large: {subject} ({reason})"},
    "error.fetch_timeout": {
        "de": "Keine Antwort rechtzeitig: {subject} ({reason})",
        "en": "No answer in time: {subject} ({reason})",
    },
    "error.fetch_redirects": {
        "de": "Zu viele Weiterleitungen: {subject} ({reason})",
        "en": "Too many redirects: {subject} ({reason})",
    },
    "error.fetch_unreachable": {
        "de": "Nicht erreichbar: {subject} ({reason})",
        "en": "Unreachable: {subject} ({reason})",
    },
    "error.fetch_status": {
        "de": "Der Server antwortete mit HTTP {status}: {subject}",
        "en": "The server answered HTTP {status}: {subject}",
    },
    "error.extract": {
        "de": "Kein Artikel auf der Seite: {subject} ({reason})",
        "en": "No article on the page: {subject} ({reason})",
    },
    "error.feed": {"de": "Kein lesbarer Feed: {subject} ({reason})", "en": "Not a readable feed: {subject} ({reason})"},
    "error.feed_registry": {"de": "{subject}: {reason}", "en": "{subject}: {reason}"},
    "error.feed_exists": {
        "de": "Der Feed {subject} ist schon registriert.",
        "en": "The feed {subject} is already registered.",
    },
    "error.feed_unknown": {
        "de": "Kein Feed {subject} registriert (`/feed list` zeigt alle).",
        "en": "No feed {subject} is registered (`/feed list` shows them all).",
    },
    "error.bad_interval": {
        "de": "Intervall „{value}“: erlaubt ist 1 Minute bis 7 Tage, z. B. 15m, 1h oder 1d.",
        "en": "Interval “{value}”: allowed is 1 minute to 7 days, e.g. 15m, 1h or 1d.",
    },
    "error.follow": {
        "de": "Eine gefolgte Suche hat höchstens {limit} Zeichen.",
        "en": "A followed query has at most {limit} characters.",
    },
    "error.follow_limit": {
        "de": "Du folgst schon {limit} Suchen, mehr geht nicht; entferne erst eine mit `/unfollow`.",
        "en": "You already follow {limit} queries, the most allowed; remove one with `/unfollow`.",
    },
    "error.follow_exists": {"de": "Du folgst „{query}“ schon.", "en": "You already follow “{query}”."},
    "error.follow_unknown": {
        "de": "Du folgst „{query}“ nicht (`/following` zeigt deine Suchen).",
        "en": "You do not follow “{query}” (`/following` lists your queries).",
    },
    "error.follow_empty": {"de": "Bitte gib eine Suche mit Wörtern an.", "en": "Please give a query with words in it."},
    # --- an answer's source button after the article changed ---------------------------
    "source_moved": {
        "de": "Der Artikel wurde seit der Antwort geändert; der zitierte Satz steht jetzt in Absatz {n}.",
        "en": "The article has changed since the answer; the quoted sentence is now in paragraph {n}.",
    },
    "source_quote_gone": {
        "de": "Der Artikel wurde seit der Antwort geändert; der zitierte Satz steht nicht mehr darin. "
        "Hier Absatz {n}, wie er jetzt lautet.",
        "en": "The article has changed since the answer; the quoted sentence is no longer in it. "
        "Here is paragraph {n} as it reads now.",
    },
}


def t(key: str, language: str, **values: Any) -> str:
    table = TEXTS[key]
    return table.get(language, table["de"]).format(**values)


ERROR_PARAM = 200
ERROR_TEXT = 1500


def error_text(exc: BaseException, language: str, shown: Callable[[str], str] | None = None) -> str:
    """An error as the user reads it: the table's wording when its key has one.

    ``shown`` turns what the error quotes (its values, or its whole message where the
    table has no wording) into the text shown: Discord escapes it, for the value may be a
    page's first bytes or a file's line, Markdown that is not the bot's."""
    show = shown or (lambda value: value)
    key = f"error.{getattr(exc, 'key', '')}"
    # What people typed comes back in the error, clipped: a pasted page as a date option
    # would otherwise make a reply Discord refuses, hiding which option was wrong.
    params = {
        k: show(shorten(v, ERROR_PARAM)) if isinstance(v, str) else v for k, v in getattr(exc, "params", {}).items()
    }
    if key in TEXTS:
        try:
            return t(key, language, **params)
        except (KeyError, IndexError):
            pass
    return show(shorten(str(exc), ERROR_TEXT))


def duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def locale_language(locale: object) -> str:
    """Discord's client locale (``de``, ``en-US``…) → ``de`` or ``en``."""
    return "de" if str(locale or "").lower().startswith("de") else "en"
