"""Messages that are no question to the corpus, though they end in a question mark.

In a thread every message is taken for a follow-up, and the conversation's article then
answers it: "Wie alt bist du?" after a question on Zlatan Ibrahimovic got his goals,
"How fast is a cheetah?" the same. A follow-up points back to what was said ("er",
"dort", "die Firma", "it", "the runner") or asks too little to stand alone ("Wer hat
gewonnen?"); these messages do neither. Regular expressions over the message: no model.
"""

from __future__ import annotations

import difflib
import re

from vectorstore.text import QUESTION_WORDS, query_terms

__all__ = ["asks_about_me", "asks_about_now", "has_pronoun", "points_back", "points_back_by_article"]

# A pronoun or pronominal adverb stands for something said before: "er", "dort",
# "dagegen", "it", "there".
_PRONOUN = (
    r"er|sie|es|ihm|ihn|ihnen|da|dort\w*|dann|damals|dar?(?:bei|mit|von|für|zu|auf|an|in|über|um|aus|durch|gegen|"
    r"her|hinter|nach|vor|neben|unter)|deshalb|deswegen|he|she|it|they|him|her|them|there|then"
)
# A possessive pronoun stands for it too: "wie heißt deren Stadion?", "what's their
# stadium called?" ask about the conversation's club. "sein" only before a word that
# the verb "sein" does not stand before at a clause's end ("wer ist sein trainer?", not
# "kann das sein oder?", "soll das so sein?"); not "ihr" alone ("habt ihr schon
# gegessen?"), nor "Ihre" or "Seine" capitalised inside a message (the formal "your",
# the river), nor a relative "dessen" or "deren" after a noun ("das Tier, dessen Horn
# …"), which stands for a word of the message itself.
_POSSESSIVE_WORDS = r"deren|dessen|his|hers|its|their|theirs"
_AFTER_THE_VERB = (
    r"wird|werden|würde|wäre|ist|war|soll|sollte|kann|könnte|muss|müsste|darf|dürfte|mag|möchte|will|wollte|"
    r"oder|und|aber|denn|doch|weil|dass|wenn|als|ob|eigentlich|lassen|lässt"
)
_POSSESSIVE = re.compile(
    rf"\b(?:{_POSSESSIVE_WORDS}|seine[mnrs]?|ihre[mnrs]?|sein(?=\s+(?!(?:{_AFTER_THE_VERB})\b)[\w-]))\b", re.IGNORECASE
)
_PRONOUNS = re.compile(rf"\b(?:{_PRONOUN})\b", re.IGNORECASE)
_AFTER_A_NOUN = re.compile(r"(?:,|\b(?:der|die|das|den|dem|des|ein\w*)\s+[\w-]+)\s*$", re.IGNORECASE)
# "es" and "it" stand for nothing said before when they only fill the subject of the
# time or the weather: "wie spät ist es", "regnet es morgen?", "what time is it", not
# "Um wie viel Uhr ist es passiert?". Nor does the article of the weather asked for
# ("wie wird morgen das wetter in münchen", "what's the weather like"; "Wie war das
# Wetter beim Spiel?" asks about what was said), nor "the" in "what's the date today": today's
# day and date are asked as the time is ("Welcher Wochentag ist heute?"), when nothing
# but a filler follows ("On what day is it?", "what day is it held?" ask about what was
# said, "Welchen Tag haben wir ausgemacht?" about an appointment).
_WEATHER = r"regnet|schneit|hagelt|gewittert|nieselt"
_TODAY_ENDS = r"(?=(?:\s+(?:eigentlich|denn|nochmal|gerade|jetzt|today|now|rn|again|right\s+now))*\s*\W*$)"
_IMPERSONAL = re.compile(
    rf"\b(?:(?:spät|uhr)\s+ist\s+es(?!\s+(?!jetzt\b)\w+(?:t|en)\s*\W*$)|(?:{_WEATHER})\s+es|es\s+(?:{_WEATHER})|"
    r"(?:what\s+time|how\s+late)\s+is\s+it|(?:is|will)\s+it\s+(?:going\s+to\s+|gonna\s+)?(?:rain|snow)(?:ing)?|"
    r"it(?:['’]s|\s+is)\s+(?:raining|snowing)|"
    r"wie\s+(?:wird|ist)\s+(?:(?:heute|morgen|übermorgen|jetzt|gerade)\s+)?das\s+wetter|"
    r"(?:what(?:['’]?s|\s+is|\s+will)|how(?:['’]?s|\s+is))\s+the\s+weather)\b|"
    r"\b(?:(?:welche[rns]?\s+(?:wochen)?tag|welches\s+datum|der\s+wievielte|was\s+für\s+ein\s+tag)\s+ist?\s+heute?|"
    r"was\s+ist\s+heute?\s+für\s+ein\s+tag|"
    r"(?:welche[ns]\s+(?:wochen)?tag|welches\s+datum|den\s+wievielten)\s+haben\s+wir(?:\s+heute?)?|"
    r"(?<!\bon\s)(?<!\bat\s)(?<!\bby\s)(?<!\bin\s)(?<!\bfor\s)what\s+(?:day|date)(?:\s+of\s+the\s+week)?\s+is\s+"
    r"(?:it|today)|what(?:['’]?s|\s+is)\s+(?:the\s+(?:date|day)\s+today|today['’]?s\s+date))"
    rf"{_TODAY_ENDS}",
    re.IGNORECASE,
)
# "Um wie viel Uhr ist es …", "ab wann regnet es": when something happens, not the time now.
_ASKS_WHEN = re.compile(r"\W*(?:um|ab|bis|gegen|seit|at|by|until|since)\b", re.IGNORECASE)
# So do a demonstrative, possessive or definite article ("die Firma", "ihr Vorgänger",
# "zur Konkurrenz"); "mehr", "more" and "else" ask for more of the same. "am längsten"
# is a superlative, not "am Samstag". German "wars", "gibt's" hold an "es"; English
# "what's" holds an "is", "Mother's" owns.
_POINTER = re.compile(
    rf"\b(?:{_PRONOUN}|{_POSSESSIVE_WORDS}|ihr\w*|sein\w*|das|dies\w*|jene\w*|solch\w*|der|die|den|dem|des|denen|hier|"
    r"mehr|sonst|zu[mr]|im|ins|vom|beim|am(?!\s+[a-zäöüß]+sten\b)|that|this|these|those|"
    r"the|such|more|else|here)\b|\bwars\b|\b(?!(?:what|who|where|when|how|why|which)'s)(?-i:[a-zäöüß]+)'s\b",
    re.IGNORECASE,
)
# The bot, asked as "du" or "you" (a member writes to it as to a person).
_YOU = re.compile(r"du|dich|dir|dein\w*|you|your\w*", re.IGNORECASE)
# What small talk adds to "bist du" and "are you" without asking anything more.
_FILLERS = frozenset(
    "eigentlich denn überhaupt so alles mal bitte gerade kannst anyway actually really even do can are doing".split()
)
_SMALL_TALK_WORDS = 6
_CAPITALISED = re.compile(r"[A-ZÄÖÜ]\w*")


def _without_impersonal(message: str) -> str:
    return _IMPERSONAL.sub(" ", message)


# A German definite article before a word points to a thing it names ("das Telefon",
# "der erste Mensch"), which a conversation may never have mentioned. The same word
# used as a pronoun stands for what was said: at the message's end ("lief das?"), before
# another article, a pronoun, a conjunction, a preposition or an adverb ("spielen die das
# nächste Mal", "kostet das in Berlin", "wie alt ist der eigentlich?"), before an
# auxiliary or a modal ("Der hat doch gewonnen", "muss der zahlen"), a predicative
# adjective ("ist das legal?") or a participle at the end ("wer hat das gesagt", "ist der
# verletzt"). Read as a pronoun, it counts as before. A review typed 246 such follow-ups
# and 93 new things. Words often nouns as well ("der Weg", "das Los") are not listed.
_ADVERBS = (
    r"schon|eigentlich|eigtl|eig|eigentl|überhaupt|denn|so|bisher|noch|jetzt|mittlerweile|inzwischen|damals|genau|"
    r"nochmal|nochma|nomma|wirklich|auch|immer|wieder|gerade|grad|grade|bloß|nur|heute|gestern|morgen|ja|doch|"
    r"nicht|nie|bereits|wohl|vielleicht|aktuell|derzeit|zuletzt|zuerst|vorher|eh|halt|mal|echt|etwa|ungefähr|ca|"
    r"circa|fast|knapp|insgesamt|zusammen|konkret|tatsächlich|sofort|bald|später|früher|oft|öfter|öfters|häufig|"
    r"manchmal|meistens|überall|irgendwann|irgendwo|trotzdem|also|endlich|raus|rein|zurück|vorbei|weiter|"
    r"ganze|monatlich|jährlich|täglich"
)
_MODALS = (
    r"kann|können|konnte|könnte|muss|müssen|musste|müsste|soll|sollen|sollte|darf|dürfen|durfte|will|wollen|wollte|"
    r"mag|möchte"
)
_STANDS_FOR_IT_BEFORE = "|".join(
    (
        r"der|die|das|den|dem|denen|ein|eine|einen|einem|einer|ne|nen|kein|keine|keinen|keinem|keiner",
        r"sich|mir|mich|dir|dich|uns|euch|alles|alle|beide|selbst|selber|allein|sowas|etwas|nichts",
        r"und|oder|aber|weil|wenn|dass|ob|was|wer|wie|wo|wann|warum",
        r"in|im|ins|am|an|ans|auf|aufs|aus|bei|beim|mit|nach|seit|von|vom|vor|zu|zum|zur|für|fürs|über|übers|unter|"
        r"um|bis|gegen|ohne|durch|durchs|pro|per|je|ab|laut|wegen|trotz|während|hinter|neben|zwischen|außer|statt|als",
        _ADVERBS,
        r"ist|sind|war|waren|wär|wäre|wären|hat|hatte|hätte|haben|hatten|wird|werden|wurde|wurden|würde|gibt|gab",
        _MODALS,
        r"wahr|richtig|falsch|gut|schlecht|schlimm|teuer|billig|günstig|legal|illegal|sicher|neu|alt|jung|normal|"
        r"offiziell|fix|krank|tot|gesund|gefährlich|möglich|nötig|wichtig|kostenlos|gratis|umsonst|pleite|fertig|"
        r"klar|ok|okay|besser|schlechter|teurer|billiger|größer|kleiner|länger|höher|weniger",
    )
)
# A past participle ending the message: separable and inseparable prefixes, "-iert". A
# noun of that shape ("das Gericht", "dem Bericht") reads as a participle, and its
# article as a pronoun, as before this rule.
_PARTICIPLE_AT_THE_END = (
    r"(?:(?:ab|an|auf|aus|bei|ein|fest|her|hin|los|mit|nach|vor|weg|zu|zurück|raus|rein)?ge\w{2,}(?:t|en)|"
    r"(?:aus|an|ab|auf)?(?:be|ver|er|ent|zer|emp|miss|über|unter|durch|hinter|wider)\w{2,}(?:t|en)|\w+iert)(?=\W*$)"
)
# After a modal, a word in "-en" ending the message is its infinitive ("muss der zahlen",
# "kann man das kaufen"); a plural noun there reads so too ("was kann man gegen die
# kopfschmerzen"), and its article as a pronoun, as before this rule.
_MODAL = re.compile(rf"\b(?:{_MODALS})\b", re.IGNORECASE)


def _naming_article(verb_at_the_end: str) -> re.Pattern[str]:
    """An article before a word that is none of the above, nor a verb of the shape
    ``verb_at_the_end``."""
    return re.compile(
        rf"\b(?:der|die|das|den|dem|des|zu[mr]|im|ins|vom|beim|am)\s+(?!(?:{_STANDS_FOR_IT_BEFORE})\b)"
        rf"(?!{verb_at_the_end})(?=\w)",
        re.IGNORECASE,
    )


_NAMING_ARTICLE = _naming_article(_PARTICIPLE_AT_THE_END)
_NAMING_ARTICLE_AFTER_A_MODAL = _naming_article(rf"{_PARTICIPLE_AT_THE_END}|\w+en(?=\W*$)")
_LONG_ADVERBS = [w for w in _ADVERBS.split("|") if len(w) >= 6]
_TYPO_RATIO = 0.94


def _listed_spelling(word: str) -> str:
    """The adverb ``word`` misspells ("wer leitet den eigentlch"), else ``word``: six
    letters or more, this close to it by difflib's ratio, and not only an ending added
    or dropped ("die meisten Tore" are no "meistens"). Only adverbs: a noun is as close
    to an auxiliary or an adjective ("der Stollen", "die Kleinen") as a typo is."""
    if len(word) < 6:
        return word
    lower = word.lower()
    for close in difflib.get_close_matches(lower, _LONG_ADVERBS, n=1, cutoff=_TYPO_RATIO):
        if not (lower.startswith(close) or close.startswith(lower)):
            return close
    return word


def points_back_by_article(message: str) -> bool:
    """Whether ``message`` points back only with German definite articles before what
    they name: "Wer war der erste Mensch auf dem Mond?" names its own subject, which a
    paragraph of the conversation then holds if it is a follow-up ("wann ist das
    Finale?")."""
    naming = _NAMING_ARTICLE_AFTER_A_MODAL if _MODAL.search(message) else _NAMING_ARTICLE
    spelled = re.sub(r"\w+", lambda m: _listed_spelling(m.group(0)), message)
    return points_back(message) and not points_back(naming.sub(" ", spelled))


def points_back(message: str) -> bool:
    """Whether ``message`` refers to what the conversation said before."""
    return bool(_POINTER.search(_without_impersonal(message)))


def has_pronoun(message: str) -> bool:
    """Whether ``message`` stands a pronoun for something said before: "Warum sind
    Umweltschützer dagegen?" names the environmentalists against what was said."""
    message = _without_impersonal(message)
    return bool(_PRONOUNS.search(message)) or any(
        _points_to_the_said(message, m) for m in _POSSESSIVE.finditer(message)
    )


def _points_to_the_said(message: str, m: re.Match[str]) -> bool:
    before = message[: m.start()]
    word = m.group(0)
    if word[0].isupper() and word.lower().startswith(("ihr", "sein")) and before.strip(" \t\"'„“«»(-"):
        return False  # the formal "Ihre", the river "Seine"
    return not (word.lower() in ("deren", "dessen") and _AFTER_A_NOUN.search(before))


def asks_about_now(message: str) -> bool:
    """Whether ``message`` asks the time, today's day or date or the weather now ("wie
    spät ist es", "what day of the week is it today?", "is it gonna rain in berlin
    tomorrow") and points back to nothing said: its "es" stands for nothing the
    conversation said, so it is no follow-up. "Wie spät ist es dort?", "Regnet es beim
    Spiel?" and "what time is it when the match starts?" are; "Um wie viel Uhr ist es denn
    passiert?" asks when something happened."""
    return bool(_IMPERSONAL.search(message)) and not _ASKS_WHEN.match(message) and not points_back(message)


def asks_about_me(message: str) -> bool:
    """A short message about the bot itself — "Wer bist du?", "Wie geht's dir?", "what
    can you do" — which no article answers: the bot says what it does instead. Not
    "Weißt du, wer gewonnen hat?" (a question of its own after the first word), "Was
    weißt du über Ibrahimovic?" (a name) or "Kannst du mir mehr dazu sagen?" (it points
    back)."""
    words = re.findall(r"[\w']+", message)
    if not words or len(words) > _SMALL_TALK_WORDS or not any(_YOU.fullmatch(w) for w in words):
        return False
    later = words[1:]
    if any(w.lower() in QUESTION_WORDS for w in later):
        return False
    if any(_CAPITALISED.match(w) and not _YOU.fullmatch(w) and w != "I" for w in later):
        return False
    if _POINTER.search(re.sub(r"\w+'s\b", "", message)):  # "geht's": no "es" pointing back
        return False
    rest = [w for w in words if not _YOU.fullmatch(w) and w.lower() not in _FILLERS]
    return len(query_terms(" ".join(rest))) <= 1
