"""Fixed texts in the two languages users write in. The question's language picks them."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "source_button": {"de": "Quelle {n}", "en": "Source {n}"},
    "sources_footer": {"de": "{n} Quellen · {took}", "en": "{n} sources · {took}"},
    "one_source_footer": {"de": "1 Quelle · {took}", "en": "1 source · {took}"},
    "no_source_footer": {"de": "keine Quelle · {took}", "en": "no source · {took}"},
    "cooldown": {"de": "Bitte warte noch {s} s, bevor du wieder fragst.", "en": "Please try again in {s} s."},
    "too_long": {"de": "Die Frage ist zu lang (höchstens {n} Zeichen).", "en": "The question is too long (at most {n} characters)."},
    "error": {"de": "Da ist etwas schiefgelaufen. Bitte versuche es gleich noch einmal.",
              "en": "Something went wrong. Please try again in a moment."},
    "unavailable": {"de": "Der Index ist gerade nicht erreichbar. Bitte versuche es gleich noch einmal.",
                    "en": "The index is unavailable right now. Please try again shortly."},
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
}


def t(key: str, language: str, **values) -> str:
    table = TEXTS[key]
    return table.get(language, table["de"]).format(**values)


def duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def locale_language(locale: object) -> str:
    """Discord's client locale (``de``, ``en-US``…) → ``de`` or ``en``."""
    return "de" if str(locale or "").lower().startswith("de") else "en"
