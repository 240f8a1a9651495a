"""Every text a user reads, in the two languages users write in: one table, one lookup.

The question's language picks them (or, for commands without a question, the client's
locale). Errors of the :class:`~vectorstore.errors.AbsatzError` tree are found here by
their ``key`` (``error.<key>``); an error without an entry keeps its English message.
"""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    # --- answers -----------------------------------------------------------------
    "not_found": {"de": "Dazu finde ich nichts im Korpus.", "en": "I found nothing about this in the corpus."},
    "empty_question": {"de": "Bitte stelle eine Frage.", "en": "Please ask a question."},
    "as_of": {"de": "Stand {date}: ", "en": "As of {date}: "},
    "source_button": {"de": "Quelle {n}", "en": "Source {n}"},
    "sources_footer": {"de": "{n} Quellen · {took}", "en": "{n} sources · {took}"},
    "one_source_footer": {"de": "1 Quelle · {took}", "en": "1 source · {took}"},
    "no_source_footer": {"de": "keine Quelle · {took}", "en": "no source · {took}"},
    "cooldown": {"de": "Bitte warte noch {s} s, bevor du wieder fragst.", "en": "Please try again in {s} s."},
    "too_long": {"de": "Die Frage ist zu lang (höchstens {n} Zeichen).", "en": "The question is too long (at most {n} characters)."},
    "error": {"de": "Da ist etwas schiefgelaufen. Bitte versuche es gleich noch einmal.",
              "en": "Something went wrong. Please try again in a moment."},
    "unknown_source": {"de": "Keine Quelle {id} im Korpus.", "en": "No source {id} in the corpus."},
    "unknown_article": {"de": "Kein Artikel {id} im Korpus.", "en": "No article {id} in the corpus."},
    "no_matches": {"de": "Keine Treffer im Korpus.", "en": "No matches in the corpus."},
    "thanks": {"de": "Danke für dein Feedback!", "en": "Thanks for your feedback!"},
    "feedback_title": {"de": "Was war falsch?", "en": "What was wrong?"},
    "feedback_label": {"de": "Beschreibung", "en": "Description"},
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
    "stats_feedback": {"de": "Feedback", "en": "Feedback"},
    "stats_votes": {"de": "{answers} Antworten · 👍 {up} · 👎 {down}", "en": "{answers} answers · 👍 {up} · 👎 {down}"},
    "stats_audit": {"de": "Admin-Log", "en": "Admin log"},
    "never": {"de": "nie", "en": "never"},
    # --- admins ----------------------------------------------------------------------
    "admins_only": {"de": "Nur Admins (Server verwalten oder Admin-Rolle) dürfen das.",
                    "en": "Only admins (Manage Server or an admin role) may do this."},
    "ingest_running_here": {"de": "Ein Ingest läuft bereits (gestartet von {who}).",
                            "en": "An ingest is already running (started by {who})."},
    "ingest_progress": {"de": "⏳ Ingest läuft: {done}/{total} Artikel · {paragraphs} Absätze eingebettet · {elapsed:.0f} s",
                        "en": "⏳ Ingest running: {done}/{total} articles · {paragraphs} paragraphs embedded · {elapsed:.0f} s"},
    "ingest_done": {"de": "✅ Ingest fertig ({seconds:.1f} s): {added} neu, {updated} geändert, {removed} entfernt, "
                          "{unchanged} unverändert, {failed} fehlgeschlagen; {paragraphs} Absätze eingebettet",
                    "en": "✅ Ingest finished ({seconds:.1f} s): {added} added, {updated} updated, {removed} removed, "
                          "{unchanged} unchanged, {failed} failed; {paragraphs} paragraphs embedded"},
    "failed": {"de": "⛔ Fehlgeschlagen: {reason}", "en": "⛔ Failed: {reason}"},
    "rejected": {"de": "⛔ Abgelehnt: {reason}", "en": "⛔ Rejected: {reason}"},
    "upload_busy": {"de": "⛔ Abgelehnt: Gerade läuft ein anderer Ingest (gestartet von {holder}). "
                          "Es wurde nichts geändert; lade `{name}` erneut hoch, wenn er fertig ist.",
                    "en": "⛔ Rejected: another ingest is running (started by {holder}). "
                          "Nothing was changed; upload `{name}` again when it has finished."},
    "upload_failed": {"de": "⛔ Fehlgeschlagen: {reason} (`{name}` wurde nicht übernommen.)",
                      "en": "⛔ Failed: {reason} (`{name}` was not kept.)"},
    "remove_confirm": {"de": "Artikel `{id}` ({title}) wirklich entfernen? Die Datei kommt in den Papierkorb.",
                       "en": "Really remove article `{id}` ({title})? Its file moves to the trash."},
    "remove_button": {"de": "Entfernen", "en": "Remove"},
    "cancel_button": {"de": "Abbrechen", "en": "Cancel"},
    "cancelled": {"de": "Abgebrochen.", "en": "Cancelled."},
    "removed": {"de": "🗑️ `{id}` entfernt.", "en": "🗑️ Removed `{id}`."},
    "removed_trash": {"de": " Datei im Papierkorb: `{file}`", "en": " File in the trash: `{file}`"},
    # --- errors (by AbsatzError.key) ---------------------------------------------------
    "error.unavailable": {"de": "Der Index ist gerade nicht erreichbar. Bitte versuche es gleich noch einmal.",
                          "en": "The index is unavailable right now. Please try again shortly."},
    "error.unknown_source": {"de": "Keine Quelle {id} im Korpus.", "en": "No source {id} in the corpus."},
    "error.bad_citation_id": {"de": "„{value}“ ist keine Quellen-ID wie 000_a05d8c91f093345a#2.",
                              "en": "“{value}” is not a citation id like 000_a05d8c91f093345a#2."},
    "error.bad_date": {"de": "„{value}“ ist kein Datum wie 2023-09 oder 2023-09-14.",
                       "en": "“{value}” is not a date like 2023-09 or 2023-09-14."},
    "error.empty_period": {"de": "Der Zeitraum beginnt ({since}) nach seinem Ende ({until}).",
                           "en": "The period starts ({since}) after it ends ({until})."},
    "error.ingest_busy": {"de": "Gerade läuft schon ein Ingest ({holder}).",
                          "en": "An ingest is already running ({holder})."},
    "error.no_index": {"de": "Hier gibt es noch keinen Index ({location}): zuerst Artikel einlesen.",
                       "en": "There is no index here yet ({location}): ingest articles first."},
}


def t(key: str, language: str, **values: Any) -> str:
    table = TEXTS[key]
    return table.get(language, table["de"]).format(**values)


def error_text(exc: BaseException, language: str) -> str:
    """An error as the user reads it: the table's wording when its key has one."""
    key = f"error.{getattr(exc, 'key', '')}"
    params = getattr(exc, "params", {})
    if key in TEXTS:
        try:
            return t(key, language, **params)
        except (KeyError, IndexError):
            pass
    return str(exc)


def duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def locale_language(locale: object) -> str:
    """Discord's client locale (``de``, ``en-US``…) → ``de`` or ``en``."""
    return "de" if str(locale or "").lower().startswith("de") else "en"
