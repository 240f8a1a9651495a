"""What a question asks for, and where a sentence states it.

The sentence most similar to a question is often the one that restates it ("Magazin X
bekommt einen neuen Chefredakteur"); the answer ("Robert Schneider") sits in the next.
Knowing that a *wer*-question wants a name, a *wie viel*-question a number with its
unit, a *wann*-question a date, a *wo*-question a place and a *warum*-question a reason
lets the selector prefer sentences that carry one — and show it in bold.

Questions come in German or English; the sentences are German news text. Everything
here is regular expressions over text: no model, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum


class Expected(str, Enum):  # noqa: UP042  (StrEnum would change str() and format() of the members)
    """The kind of fact a question asks for."""

    PERSON = "person"  # wer / who: a name or an organisation
    NUMBER = "number"  # wie viel / how many: a number with its unit
    DATE = "date"  # wann / when: a date or time expression
    PLACE = "place"  # wo / where: a place
    REASON = "reason"  # warum / why: a reason
    OTHER = "other"  # was / welche / what: a thing, not a fixed shape


# A person by trade or office in English: "which mayor", "which poet".
_EN_PEOPLE = (
    r"person|(?<!mp3 )(?<!cd )(?<!dvd )(?<!media )(?<!record )player|actor|actress|politician|minister|coach|"
    r"director|singer|artist|author|"
    r"president|chancellor|mayor|judge|lawyer|attorney|scientist|researcher|professor|doctor|"
    r"physician|goalkeeper|keeper|striker|defender|midfielder|"
    r"driver(?!'s licen|\s+(?:update|software|version))|rider|cyclist|skier|runner|athlete|footballer|"
    r"referee|king(?![- ]size)|queen(?![- ]size)|emperor|empress|prince|princess|pope|bishop|cardinal|"
    r"general(?!\s+(?:election|assembly|public|strike|meeting|rule|principle|consensus))|commander|"
    r"leader|ambassador|diplomat|governor|senator|spokes(?:man|men|woman|women|person|people)|manager|"
    r"chair(?:man|men|woman|women)|ceo|founder|inventor|poet|writer|novelist|composer|painter|philosopher|theologian|"
    r"journalist|reporter|presenter|member(?!\s+(?:stat|countr|nation))|deput(?:y|ies)|"
    r"official(?!\s+(?:figure|data|stat|result|report|document|language|website|account|version|record))|"
    r"officer|winner|expert(?!\s+(?:report|opinion|advice|assessment))|economist|historian|architect|"
    r"lawmaker|legislator|councillor|councilor|secretar(?:y|ies)|mp"
)

# The first question word decides; where two patterns start at the same word, the
# earlier one wins: "In welchem Jahr" asks for a date, "Bei welchem Verein" for a name,
# "In welcher Stadt" for a place.
_QUESTION_PATTERNS: tuple[tuple[Expected, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (
            Expected.REASON,
            r"\b(warum|weshalb|wieso|weswegen|wozu|woran lag|woran liegt|wodurch|"
            r"aus welche[mn] gr[üu]nde?n?|mit welche[mr] (?:begründung|argument(?:en)?)|"
            r"(?:wie|womit) (?:begründe|rechtfertig)\w*|how (?:do|does|did) .{1,80}? justify|"
            r"was (?:war|ist|sind|waren) (?:der|die) (?:grund|gründe|ursache|anlass)|was veranlasste|was bewog|"
            r"why|how come|for what reason|what caused|what led to|what prompted|"
            r"what (?:was|is|were|are) the (?:reason|cause)s?)\b",
        ),
        (
            Expected.DATE,
            r"\b(wann|seit wann|ab wann|bis wann|"
            # "An welchem genauen Datum", "In welcher Kalenderwoche", "An welchem Spieltag"
            r"welche[mnrs]? (?:genaue[mnrs]? )?(?:datum|jahr(?:en?)?(?!\s+haft)|zeitr(?:aum|äumen?)|jahrzehnt\w*|"
            r"jahrhundert\w*|(?:wochen|spiel|feier|stich)?tag|monat|(?:kalender)?woche|wochenende|uhrzeit|jahreszeit|"
            r"zeitpunkt|frist|termin)|"
            r"zu welchem zeitpunkt|when|since when|until when|by when|how soon|"
            r"(?:at|by|until) (?:what|which) (?:time|point|hour)|from (?:what|which) (?:time|hour)|"
            r"(?:in|on|by|during|over|from) (?:what|which) "
            r"(?:(?:year(?!\s+group)|month|day(?![- ]?care)|date|decade|period|season)s?|centur(?:y|ies))|"
            r"(?:what|which)(?:'s| is| was)? (?:the )?"
            r"(?:date|year(?!\s+group)|day(?![- ]?care)|month|deadline|time(?![- ]?zone)))\b",
        ),
        (
            Expected.NUMBER,
            r"\b(wie ?viele?n?|wie (?:hoch|hohe[mnrs]?|lange?|gro(?:ß|ss)|alt|weit|teuer|schwer|oft|"
            r"schnell|stark|tief|jung|knapp|deutlich|klein|breit|dick|hei(?:ß|ss)|kalt)|um wie viel|mit wie|"
            r"was (?:kostet|kosten|kostete|hat .{1,60} gekostet|verdien\w*|zahl\w*|bezahl\w*)|"
            r"was (?:ist|war|sind|waren) (?:der|die) (?:\w+e[nrs]? )?[\w-]*(?:rekord|bestwert|bestzeit|höchststand|"
            r"tiefststand)|"
            r"welche[nrsm]? (?:\w+e[nrs]? )?(?:h(?:ö|oe)chst|mindest|gesamt)?(?:betrag|summe|anteil|preis|zahl|"
            r"h(?:ö|oe)he|strafe|alter|wert|quote|rate|ergebnis|gehalt|budget|umsatz|gewinn|niveau|umfang|"
            r"verlust|entschädigung|abstand|vorsprung|rückstand|prozentsatz|tempo|geschwindigkeit|temperatur|"
            r"entfernung|dauer|(?:h(?:ö|oe)chst|tiefst|end|zwischen)stand|endergebnis)|"
            # "Kosten" and "Stand" are verbs as often: only right after welche- ("In welchen
            # Bezirken kosten …", "Bei welchen Vereinen stand er …" ask where), and not the
            # market stall of "An welchem Stand gibt es …?"
            r"welche[nrsm]? (?:kosten|(?<!\ban welchem )stand)|"
            r"how (?:many|much|long|high|old|far|big|large|often|fast|expensive|tall|young|close|"
            r"short|wide|deep|heavy|strong|hot|cold)|by how much|"
            # "At which temperature …?", "From which age …?": not the place "at which" asks for
            r"(?:at|to|from|by) (?:what|which) (?:price|temperature|speed|age|rate|cost|amount|height|depth|distance)|"
            r"what (?:does|did|do|will) .{1,60} cost|what (?:maximum|minimum)|"
            r"what(?:'s| is| was| were| are)? (?:the )?(?:[\w']+ ){0,2}(?:level|rate|amount|number|price|"
            r"cost|share|percentage|proportion|stake|value|score|result|total|sum|figure|age|height|"
            r"sentence|fine|salary|budget|loss|profit|revenue|turnover|margin|lead|gap|population|fees?|"
            r"attendance|capacity|distance|speed|temperature|weight|length|duration|size|"
            r"(?<!criminal )(?<!track )record(?!\s+(?:label|compan|store|shop|deal|player|collection|industry|book|"
            r"producer|holder))))\b",
        ),
        (
            Expected.PERSON,
            r"\b(wer|wen|wem|wessen|wie hei(?:ß|ss)t|wie hie(?:ß|ss)|wie lautet der name|"
            # An organisation or a role also ends a German compound: "Oppositionspolitiker",
            # "Energiekonzern" (but an "Altersgruppe" is no group of people to name).
            r"welche[rnms]? (?:\w+e[nrs]? )?"
            r"(?:[\w-]*?(?:minister\w*|politiker\w*|partei|firma|unternehmen|hersteller|anbieter|gericht|"
            r"ministerium|institut|universität|agentur|gewerkschaft|stiftung|magazin|konzern|verein|klub|club|"
            r"team|mannschaft|spieler\w*|trainer\w*|schauspieler\w*|regisseur\w*|sender|zeitung|bank|"
            r"künstler\w*|autor\w*|sänger\w*|präsident\w*|chef\w*|kandidat\w*|organisation|behörde|verlag|"
            # … and a person by office or trade: "Welcher Landrat", "Welche Bürgermeisterin",
            # "Welcher Torhüter", as "which mayor", "which goalkeeper" ask in English
            r"(?:landrat|b(?:ü|ue)rgermeister|kanzler|(?<!wechsel)(?<!gleich)richter|(?<!laut)sprecher|"
            r"botschafter|(?<!passwort)(?<!passwort-)manager|(?<!halb)(?<!supra)(?<!ton)(?<!blitzab)leiter|"
            r"gründer|erfinder|forscher|wissenschaftler|sportler|fahrer|(?<!aus)läufer|torh(?:ü|ue|u)ter|"
            r"stürmer|verteidiger|maler|(?<!ver)dichter|schriftsteller|sieger|gewinner|anführer|täter|"
            r"kläger|sekretär|kommandeur|gouverneur|direktor|professor|moderator|diplomat|journalist|komponist|"
            r"kommissar|senator|philosoph|könig|kaiser|fürst|general|prinz)(?:in(?:nen)?|e?n|e|s)?|"
            r"prinzessin\w*|torwart|anw[aä]lt(?:s|e|en|in(?:nen)?|schaft)?|arzt|ärzt(?!lich)\w*|bischof|"
            r"bischöfe\w*|papst|päpste\w*|landräte\w*|abgeordnete[nr]?|theolog(?:e|en|in(?:nen)?)|schamanen?|"
            r"experten?|expertin(?:nen)?|generäle\w*|mitglied(?:er|ern)?)|"
            r"album|buch|film|serie|titel|band|gruppe|figur|person|firmen|label|marke|app|seite|website)|"
            r"welche[nm] namen|"
            r"who|whom|whose|what(?:'s| is| was) (?:the )?(?:name|title)|what(?:'s| is| was) .{1,40} called|"
            r"what (?:name|title|nickname)|"
            r"which (?:[\w-]+ )?(?:company|companies|team|club|part(?:y|ies)|"
            r"station|channel|network|magazine|agenc(?:y|ies)|union|institute|universit(?:y|ies)|court|"
            r"ministr(?:y|ies)|manufacturer|provider|chain|airline|album|book|film|movie|series|show|song|title|name|"
            r"firm|group|organi[sz]ation|band|newspaper|broadcaster|bank|character|label|app|site|website|"
            rf"authority|brand|publisher|{_EN_PEOPLE})(?:e?s)?)\b",
        ),
        (
            Expected.PLACE,
            # "In welchem …?" and "In which …?" ask for a place unless a pattern above knows
            # the noun after "welchem" or "which": "In welchem Jahrzehnt", "Bei welchem
            # Verein", "Auf welchen Betrag", "To which year", "For which club"
            r"\b(wo|wohin|woher|(?:(?<=\bin )|(?<=\ban )|(?<=\bauf )|(?<=\baus )|(?<=\bnach )|(?<=\bbei )|(?<=\bvor ))"
            r"welche[mnrs]?|"
            # "Welches Land …?", "Welcher NASA-Standort …?", as "which country" asks in English;
            # not "Welches Ressort", "Welches Wort"
            r"welche[mnrs]? (?:\w+e[nrs]? )?(?:[\w-]*(?:stadt|städte|land|regionen|region|"
            r"(?<!fan)(?<!kirchen)gemeinden?|bezirke|bezirk|staaten|staat|(?<!p)inseln?|provinzen|provinz|kontinente?|"
            r"viertel|stadtteile?|ortsteile?|dorf|dörfer|ortschaft(?:en)?|gegend(?:en)?)|(?:[\w-]*-|nachbar|bundes|mitglieds|herkunfts)?länder|"
            r"(?:land|stadt|wahl)kreise?|kantone?|"
            r"(?:[\w-]*-)?(?:stand|wohn|spiel|austragungs|geburts|urlaubs|ferien|dreh|unfall|veranstaltungs)?orte?)"
            r"(?![\w-])|"
            # "Near which station …?" names a place by what stands near it, whatever the noun
            r"where|near which|(?:(?<=\bin )|(?<=\bat )|(?<=\bon )|(?<=\bfrom )|(?<=\bto ))which|"
            r"(?:which|what) (?:[\w-]+ )?(?:city|country|town|place|region|state|village|province|district|"
            r"building|hotel|base|settlement|venue|stadium|airport|island|street|location))\b",
        ),
    )
)
# The question word stands near the start; a "when" later in the sentence joins a clause.
_LEAD_WORDS = 6
# "When the Broncos intercepted the pass, how many seconds were left?": English opens a
# clause with "when" where German says "als" or "wenn", and then the question word
# follows the clause's comma. "When did …", "When is …, …", "When exactly was …" ask when.
_WHEN_CLAUSE = re.compile(
    r"\s*when\s+(?:(?:exactly|roughly|approximately|precisely|about)\s+)?+"
    r"(?!(?:is|are|was|were|do|does|did|will|would|can|could|shall|should|has|have|had|must|may|might)\b)"
    r"[^,?]{1,120},\s*",
    re.IGNORECASE,
)
# After the clause's comma the question word comes first, or after the preposition it
# belongs to: "When the fire started, in which building was it?" asks where, from "which".
_ASKED_FIRST = re.compile(r"(?:(?:in|at|on|from|to|for|with|by|during|until|into|under|of|about)\s+)?", re.IGNORECASE)


# "What happens when …?", "Which chancellor had resigned when …?": after what, which, who
# or how, "when" opens a clause and the question asks for a thing, not a time. Not after
# a comma or "about": "What about the bridge, when will it reopen?" asks when.
_ASKED_BEFORE_WHEN = re.compile(r"\b(?:whats?|which|who|whom|whose|how)\b[^?,]*?(?<!\babout )\bwhen\b", re.IGNORECASE)


def _first_asked(text: str) -> tuple[int, Expected] | None:
    """Where the first question word of ``text`` starts and what it asks for; of two
    patterns that match at the same word, the earlier one."""
    found = [
        (m.start(), i, kind)
        for i, (kind, pattern) in enumerate(_QUESTION_PATTERNS)
        if (m := pattern.search(text))
        and not (kind is Expected.DATE and m.group(1).lower() == "when" and _ASKED_BEFORE_WHEN.match(text, 0, m.end()))
    ]
    if not found:
        return None
    start, _, kind = min(found)
    return start, kind


# "Wozu führte der Bau der Autobahnen?", "Wozu trug die Übersetzung bei?", "Wozu kam
# es?": with a verb that takes "zu", "wozu" asks what came of something, as "What did …
# lead to?" does, not what it is for ("Wozu dient der Balken?", "Wozu führt Apple die
# Funktion ein?", "Wozu tritt Schweden der Nato bei?").
_WOZU_RESULT = re.compile(
    r"^\W*(?:(?:und|aber|also)\s+)?wozu\b.*\b(?:beigetragen|gef[üu]hrt|neig(?:en|t|te|ten)\b|geneigt|entschlossen|"
    r"f[üu]hr(?:en|t|te|ten)\b(?!.*\b(?:ein|durch|aus|vor|an|auf)\W*$)|(?:tr[äa]gt|tragen|trug\w*)\b.*\bbei\W*$|"
    r"(?:kam|kommt|kommen)\s+es\b|verurteil\w*|aufgerufen|(?:ruft|rief|riefen|rufen)\b.*\bauf\W*$)",
    re.IGNORECASE,
)


def expected(question: str) -> Expected:
    """The kind of answer ``question`` wants; OTHER when its words do not say."""
    # Text pasted from the web carries invisible characters: "In welchem\u200b\u200b Jahr".
    # A zero-width space still separates words; other format characters join nothing.
    question = "".join(ch for ch in question.replace("\u200b", " ") if unicodedata.category(ch) != "Cf")
    if _WOZU_RESULT.match(question):
        return Expected.OTHER
    clause = _WHEN_CLAUSE.match(question)
    rest = question[clause.end() :] if clause else ""
    if clause and (after := _first_asked(rest)) and _ASKED_FIRST.fullmatch(rest, 0, after[0]):
        return after[1]
    lead = " ".join(question.split()[:_LEAD_WORDS])
    for text in (lead, question):
        if first := _first_asked(text):
            return first[1]
    return Expected.OTHER


# A month or weekday ends its word: "Mainz", "Mailand", "E-Mail", "Julia", "Junior",
# "Oktoberfest" and "Sonntagsfrage" state no date. Kept are a month's genitive ("des
# Novembers"), a weekday's time of day ("Sonntagabend", "Montagfrüh") and its adverb and
# plural ("Freitags", "an Sonntagen"). Being capitalised, neither needs a boundary before
# it: inside a word it stands only where two words ran together ("HoffenheimSamstag").
_MONTHS = (
    r"(?:(?:Januar|Jänner|Februar|Feber|März|April|Juni|Juli|August|September|Oktober|November|"
    r"Dezember)s?|Mai)(?!\w)|Jan\.|Feb\.|Mär\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Okt\.|Nov\.|Dez\."
)
_WEEKDAYS = (
    r"(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag)"
    r"(?:(?:abend|morgen|vormittag|mittag|nachmittag|nacht)s?|früh|s|e[ns])?(?!\w)"
)
# Counts from two up: "zehn Kinder" states a number, "eine Studie" does not.
_COUNTS = (
    r"zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|(?:drei|vier|fünf|sech|sieb|acht|neun)zehn|"
    r"zwanzig|dreißig|vierzig|fünfzig|sechzig|siebzig|achtzig|neunzig|hundert|tausend"
)
# A number in words: "zwölf Kinder", "ein Drittel".
SPOKEN_NUMBERS = rf"eins|eine[nmrs]?|{_COUNTS}|Dutzend|Hälfte|Drittel|Viertel|doppelt|dreifach|halb"
_UNITS = (
    r"Prozent|Prozentpunkte[n]?|%|Euro|€|Dollar|\$|Franken|Pfund|Cent|Yen|Rubel|"
    r"Millionen|Million|Mio\.?|Milliarden|Milliarde|Mrd\.?|Billionen|Tausend|"
    r"Kilometer|km|Meter|m|Zentimeter|cm|Millimeter|mm|Kilogramm|kg|Gramm|g|Tonnen|t|Liter|"
    r"Quadratkilometer|Quadratmeter|km²|m²|Hektar|Grad|°C|km/h|PS|Kilowatt|Megawatt|MW|"
    r"Jahre[n]?|Jahr|Monate[n]?|Monat|Wochen|Woche|Tage[n]?|Tag|Stunden|Stunde|Minuten|Minute|"
    r"Sekunden|Sekunde|Zehntel|Hundertstel|Tausendstel|Uhr|Menschen|Personen|Einwohner|Mitarbeiter\w*|Beschäftigte\w*|Stück|"
    r"Punkte[n]?|Promille|Tore?|Stimmen|Mandate|Sitze|Mal|Stockwerke|Exemplare|Besucher\w*|Zuschauer\w*"
)
# The lookahead and the possessive tail match what ``[A-ZÄÖÜ][\w\-']*[a-zäöüß0-9][\w\-']*``
# matches without its backtracking, which took seconds per sentence on a long hyphenated
# compound ("Bundes-Bundes-…") and grew with the cube of its length.
_CAP = r"[A-ZÄÖÜ](?=[\w\-']*?[a-zäöüß0-9])[\w\-']*+"
# One inflected adjective may stand between a count and its noun: "zwölf zusätzliche
# Blitzer" (but "drei der Kinder", "zwei seiner Tore" have an article, not an adjective,
# and "auf Platz sechs stehenden Mainzer" counts no Mainzer).
_ADJECTIVE = (
    r"(?!(?:der|die|den|dem|des|diese[mnrs]?|jene[mnrs]?|meine[mnrs]?|deine[mnrs]?|seine[mnrs]?|ihre[mnrs]?|"
    r"unsere[mnrs]?|eure[mnrs]?|keine[mnrs]?|eine[mnrs]?|welche[mnrs]?|alle[mnrs]?|solche[mnrs]?|aber|oder|"
    r"oben|unten|neben|hinter|unter|über|gegen|wegen|seien|waren|haben|hatten|werden|wurden)(?!\w))"
    r"[a-zäöüß]+(?:e|en|er|es|em)(?!\w)"
)
# A number: digits with separators or a number word, optionally with magnitude and unit; a
# temperature keeps its sign ("minus 12 Grad", "−18,5 Grad"), a range its ends ("250 bis
# 300 Euro").
_NUMBER = re.compile(
    rf"(?<![\w.,])(?:(?:mehr als|über|rund|etwa|knapp|fast|bis zu|mindestens|höchstens|ca\.)\s+)?"
    rf"(?:minus\s+|[-−](?=\d))?(?:\d+(?:[.,]\d+)*\s*(?:bis|[-–])\s*(?:minus\s+|[-−](?=\d))?\d+(?:[.,]\d+)*"
    rf"\s*(?:{_UNITS})(?!\w)(?:\s+(?:{_UNITS})(?!\w))?|"
    rf"\d+(?:[.,]\d+)*(?:\s*(?:{_UNITS})(?!\w)(?:\s+(?:{_UNITS})(?!\w))?)?(?:\s+{_CAP})?|"
    rf"(?:{SPOKEN_NUMBERS})\s+(?:{_UNITS})(?!\w)(?:\s+(?:{_UNITS})(?!\w))?|"
    rf"(?i:{_COUNTS})\s+{_CAP}|(?<!Rang )(?<!Platz )(?<!Nummer )(?i:{_COUNTS})\s+{_ADJECTIVE}\s+{_CAP})",
)
# Four digits end a year unless more digits or a unit follow ("um 1500 Euro" is a sum).
_A_YEAR_ENDS = rf"(?!\d)(?!\s*(?:{_UNITS})(?!\w))"
# A time range is one answer: "von 10 bis 18 Uhr", "zwischen 8 und 9 Uhr", "10-18 Uhr".
_TIME = r"(?<![\d.,])\d{1,2}(?:[.:]\d\d)?"
_HOURS = rf"(?:(?i:von|zwischen)\s+)?{_TIME}(?:\s+Uhr)?(?:\s+(?:bis|und)\s+|\s*[-–]\s*){_TIME}\s+Uhr"
# What follows a number that is part of a date or time: a day before its month ("4.
# September"), an hour ("13 Uhr").
DATE_PIECE_AFTER = re.compile(rf"\.?\s*(?:{_MONTHS})(?!\w)|\s*Uhr(?!\w)")
_DATE = re.compile(
    rf"(?:(?:am|vom|bis|seit|ab|bis zum|zum)\s+)?(?:{_HOURS}|\d{{1,2}}\.\s*(?:{_MONTHS})(?:\s+\d{{4}})?|"
    rf"\d{{1,2}}\.\d{{1,2}}\.(?:\d{{2,4}})?|"
    rf"(?:(?:Anfang|Mitte|Ende|im|seit|ab|bis)\s+)?(?:{_MONTHS})(?:\s+\d{{4}})?|"
    rf"(?:(?:am|vergangenen|kommenden|nächsten|letzten|diesen)\s+)?(?:{_WEEKDAYS})|"
    rf"(?:(?:im|seit|ab|bis|Anfang|Mitte|Ende|Jahr)\s+)?(?:19|20)\d\d{_A_YEAR_ENDS}|"
    rf"(?i:im|seit|ab|bis|um|von|anfang|mitte|ende|jahr)\s+1[0-8]\d\d{_A_YEAR_ENDS}|"
    rf"(?:(?i:im|seit dem|ab dem|bis ins|anfang des|mitte des|ende des)\s+)?\d{{1,2}}\.\s+Jahrhunderts?|"
    rf"\d{{1,2}}(?:[.:]\d\d)?\s+Uhr|"
    rf"(?i:im|ab|seit|bis)\s+(?:Frühjahr|Frühling|Sommer|Herbst|Winter)(?:\s+(?:19|20)\d\d(?:/(?:\d\d){{1,2}})?(?!\d))?|"
    rf"(?<!\w)(?:heuer|gestern|vorgestern)(?!\w)|"
    rf"(?:(?:vergangene|vergangenen|kommende|kommenden|nächste|nächsten|letzte|letzten)\s+(?:Woche|Monat|Jahr|Jahres|Wochenende))|"
    rf"(?:(?:vor|in|seit|nach)\s+(?:\d+|{SPOKEN_NUMBERS})\s+(?:Jahren|Monaten|Wochen|Tagen)))",
)
# A capitalised word: German capitalises nouns too, so names are found by shape: two or
# more capitalised words in a row, a capitalised word in parentheses or quotes,
# all-capital abbreviations, a capitalised word after a role noun, or the one word that
# closes a quote's attribution ("…, sagte Hendricks.": news names a speaker once in full,
# then by surname).
_SAID = r"sagte|sagt|meinte|meint|erklärte|erklärt|betonte|betont|so"
_NOT_SPEAKERS = r"Experten|Kritiker|Beobachter|Insider|Danke|Dr|Prof"
_SAID_VERB = re.compile(rf"(?:{_SAID})\s+")
# A club's or union's abbreviation opens a longer name: "FC Bayern München", "SV Werder
# Bremen", "IG Metall". Only these: after any other one a capitalised word is as often a
# German noun ("die SPÖ Zweifel", "die USA Korruption").
_ABBREVIATION = r"(?:1\.\s*)?(?:FC|SC|SV|SK|TSV|VfB|VfL|VfR|RB|AC|AS|SSC|SSV|TSG|BSC|SpVgg|FK|NK|PSV|AEK|IG)\b"
_JOIN = r"(?:von|van|de|der|di|da|del|la|le|bin|al)?\s*"
_NAME = re.compile(
    rf"(?<!\b(?:der|die|das|dem|den) )\b(?:{_SAID})\s+(?!(?:{_NOT_SPEAKERS})\b){_CAP}(?=[.,;:!?]|$)|"
    rf"(?<![\w„\"])(?:(?:{_CAP}|[A-ZÄÖÜ]\.)(?:\s+{_JOIN}{_CAP})+|{_ABBREVIATION}\s+{_CAP}(?:\s+{_JOIN}{_CAP})*)|"
    rf"\b[A-ZÄÖÜ]{{2,}}[a-z]?\b(?:-\w+)?|[„\"“»]([^“”\"«„]{{2,60}})[“”\"«]"
)
# Words naming a relative: a person's relatives may share the surname a question names
# (answer_span.py), and a relative or a title before a name is not part of it ("seiner Frau
# Melania Trump").
KIN_DE = (
    r"(?:Ehe(?:frau|mann|partner(?:in)?)|Frau|Mann|Gatt(?:e|in)|Witwer?|Lebensgefährt(?:e|in)|Partner(?:in)?|"
    r"Sohn|Söhne|Tochter|Töchter|Kind(?:er)?|Bruder|Brüder|Schwester(?:n)?|Vater|Mutter|Eltern|Großvater|"
    r"Großmutter|Enkel(?:in|kind|kinder)?|Neffe|Nichte|Onkel|Tante|Cousine?|Schwager|Schwägerin|"
    r"Schwieger(?:vater|mutter|sohn|söhne|tochter|töchter|eltern)|"
    r"Stief(?:vater|mutter|sohn|söhne|tochter|töchter|kind|kinder|bruder|brüder|schwester|schwestern|eltern))"
)
KIN_EN = (
    r"(?:wife|wives|husband|spouse|partner|widow(?:er)?|sons?|daughters?|child(?:ren)?|brothers?|sisters?|"
    r"father|mother|parents|grand(?:son|daughter|child|father|mother)s?|nephew|niece|uncle|aunt|cousin|"
    r"step\w+|\w+-in-law)"
)
# One relative, or a title: the words that may open a name ("Mann Prinz Philip", "Herrn
# Van der Bellen"); not "Kinder Hilfswerk Österreich", nor "Partner Bank Wien".
_TITLE = re.compile(
    r"Herrn?|Ehe(?:frau|mann)|Frau|Mann|Gatt(?:e|in)|Witwer?|Lebensgefährt(?:e|in)|Sohn|Tochter|Bruder|"
    r"Schwester|Vater|Mutter|Großvater|Großmutter|Enkel(?:in)?|Neffe|Nichte|Onkel|Tante|Cousine?|Schwager|"
    r"Schwägerin|Schwieger(?:vater|mutter|sohn|tochter)|Stief(?:vater|mutter|sohn|tochter|bruder|schwester)"
)
# An article or possessive a name's run of capitalised words may open with ("Seine Frau
# Britta Ernst", "Die Ehefrau Britta Ernst").
_DETERMINER = re.compile(
    r"der|die|das|dem|den|des|ein|eine|einer|einem|einen|eines|(?:sein|ihr|mein|dein|unser|eur)(?:e|em|en|er|es)?"
)
# Common given names (German-speaking news and international): a capitalised word after
# one of them is a surname, not a noun. Not those that name places too ("San Antonio",
# "Nancy", "Jordan").
FIRST_NAMES = frozenset(
    """
    Aaron Adam Adrian Alan Albert Alex Alexander Alexandra Alfred Alice Alois Amy Andrea Andreas Andrew Andy
    Angela Angelika Ann Anna Anne Annette Anthony Anton Armin Arnold Arthur Barbara Ben Benedikt
    Benjamin Bernard Bernd Bernhard Bill Birgit Bob Brian Bruce Bruno Carl Carla Carlos Carmen Caroline
    Catherine Charles Chris Christa Christian Christiane Christina Christine Christoph Christopher Claude
    Claudia Dan Daniel Daniela Dave David Dennis Dieter Dietmar Dominic Dominik Donald Doris Doug Ed Edith
    Eduard Edward Elena Elisabeth Elizabeth Elke Emily Emma Emmanuel Eric Erich Erik Ernst Erwin Eva Fabian
    Felix Ferdinand Florian Francesco Francis Francois Frank Franz Franziska François Frederic Friedrich Fritz
    Gary Georg George Gerald Gerda Gerhard Gernot Gertrud Gilles Giorgio Giuseppe Gottfried Greg Gregor Gudrun
    Guy Günter Günther Hannes Hans Harald Harry Hartmut Heidi Heinrich Heinz Helen Helga Helmut Henry Herbert
    Hermann Howard Hubert Ian Ingrid Irene Isabel Ivan Jack Jacques Jake Jakob James Jan Jana Jane Jason Jean
    Jeff Jennifer Jens Jerry Jim Joachim Joe Johann Johanna Johannes John Jon Jonas Jorge Josef
    Joseph Judith Julia Julian Jürgen Karin Karl Kate Katharina Kathrin Keith Kevin Klaus Konrad Kurt
    Larry Lars Laura Laurent Leo Leopold Linda Lisa Lorenz Lothar Louis Luca Lucas Lukas Manfred Manuel
    Marc Marcel Marco Margaret Margit Maria Marie Mario Mark Markus Martin Martina Matt Matthew Matthias Max
    Maximilian Michael Michaela Michel Michelle Mike Mohammed Monika Nick Nicolas Nicole Niki Nikolaus
    Norbert Olaf Oliver Oscar Oskar Othmar Otto Pablo Pat Patrick Paul Peter Petra Philipp Pierre Rachel
    Rainer Ralf Ray Rebecca Reinhard Reinhold Renate Richard Rick Rob Robert Roger Roland Ron Rudolf Ryan Sabine
    Sam Samuel Sandra Sarah Scott Sean Sebastian Sergej Sergio Siegfried Sigmar Silvia Simon Sonja Stefan
    Stefanie Steffen Stephan Stephen Steve Steven Susan Susanne Sven Ted Theresa Thomas Tim Timothy Tobias Tom
    Tony Ulrich Ursula Uwe Valentin Verena Victor Viktor Vincent Walter Werner Wilhelm William Wladimir Wolfgang
    Yves Yvonne
    """.split()
)
_ACRONYM = re.compile(r"[A-ZÄÖÜ]{2,}[a-z]?(?:-\w+)?")
# "In der Region Agadez": at a sentence's start the preposition is capitalised, and so is
# every noun after it ("Nach Angaben der Polizei"), so there a place noun must lead.
_PLACE_NOUN = (
    r"[\w-]*(?:[Ss]tadt|[Rr]egion|[Pp]rovinz|[Bb]ezirk|[Bb]undesland|[Bb]undesstaat|[Gg]emeinde|[Dd]orf|[Ss]taat)"
)
_TOWARDS = ("in", "nach", "aus", "bei", "im", "vor", "auf", "von")
_ARTICLE_ADJECTIVE = r"\s+(?:der|dem|den|die|das)?\s*(?:[a-zäöüß]+(?:en|er|es|em)\s+)?"
# "am" puts times ("am Wochenende") and set phrases ("am Rande") as often as places, so
# only a place noun after it counts: "am Kai Steinwerder", "am Potsdamer Platz", "am
# Flughafen".
_AM_PLACE = (
    rf"\b[Aa]m\s+(?:{_CAP}\s+)?[\w-]*(?:[Kk]ai|[Hh]afen|[Pp]latz|[Bb]ahnhof|[Uu]fer|[Ss]trand|[Ss]ee)"
    rf"(?!\w)(?:\s+{_CAP})*(?:\s+(?:der|des|von)\s+{_CAP}(?:\s+{_CAP})*)?"
)
# Near a place: "in der Nähe der Oase Baharija", "nahe der Stadt Agadez" (whole, not "in
# der Nähe"). Not a direction from one: "östlich von Paris" loses to "in Lagny-sur-Marne".
_NEAR_PLACE = (
    rf"\b(?:[Ii]n der Nähe|[Uu]nweit|[Nn]ahe)\s+(?:von|der|des|dem|vom)\s+(?:{_CAP}\s+)?{_CAP}"
    rf"(?:\s+(?:zu|von)\s+{_CAP})?"
)
_PLACE = re.compile(
    rf"{_NEAR_PLACE}|{_AM_PLACE}|\b(?:{'|'.join(_TOWARDS)}){_ARTICLE_ADJECTIVE}(?:{_CAP})(?:\s+(?:{_CAP}))*|"
    rf"\b(?:{'|'.join(p.capitalize() for p in _TOWARDS)}){_ARTICLE_ADJECTIVE}{_PLACE_NOUN}(?:\s+(?:{_CAP}))+"
)
# A reason named as a noun: "Grund", "Hauptgründe", "Ursachen".
_REASON_NOUNS = r"(?:Haupt|Beweg)?Gr(?:und|ünde[n]?)|(?:Haupt)?Ursache\w*"
_REASON = re.compile(
    r"\b(weil|denn|wegen|aufgrund|auf grund|deshalb|deswegen|daher|darum|infolge|zufolge|angesichts|"
    rf"{_REASON_NOUNS}|begründe\w*|Absicht dahinter|"
    r"zurückzuführen|liegt daran|liegt an|hängt damit|"
    r"damit|sodass|so dass|(?<!rund )um\s+\S+(?:\s+\S+){0,6}\s+zu|Folge|Ziel|mit der Begründung|"
    # an argument, not a person argued with: "argumentierte mit fehlendem Hochwasserschutz"
    r"argumentier\w* mit (?!(?:ihr|sein|de[mnr]|eine[mnr]?|unser|euer)\w*\b)|"
    # a purpose: "Die Stadt verspricht sich davon weniger Unfälle" (not "Er versprach sich
    # mehrmals", he misspoke)
    r"(?:davon|dadurch) verspr(?:ich|ech|ach)\w* sich|"
    r"verspr(?:ich|ech|ach)\w* sich\s+"
    r"(?!(?:bei|mehrmals|mehrfach|dabei|erneut|wieder|kurz|auch|öfter|ständig)\b)(?=\w)|"
    r"erhoff\w* sich)\b|,\s*da\s",
    re.IGNORECASE,
)
# A reason's clause runs to the next punctuation, or on over the commas of an
# enumeration that ends in "und"/"oder": "höhere Löhne, teurere Energie und gestiegene
# Preise". Its items are short noun phrases (adjectives, then a capitalised word), so a
# new clause after the comma ("…, sagte er und ging", "…, will die Wirtschafts- und
# Korruptionsstaatsanwaltschaft …") ends the reason.
_CLAUSE_OPENERS = (
    r"und|oder|sowie|aber|doch|sondern|denn|dass|weil|wenn|als|da|ob|obwohl|während|nachdem|bevor|damit|um|"
    r"so|der|die|das|dem|den|des|was|wo|wie|welche[mnrs]?|er|sie|es|wir|ihr|man|ich|du|dies|diese[mnrs]?|"
    r"hier|dort|dann|jedoch|zudem|also|bis|ab|seit|haben|hatten|hätten|waren|wären|werden|wurden|würden|"
    r"sollen|sollten|wollen|wollten|können|konnten|könnten|müssen|mussten|müssten|dürfen|durften|seien"
)
_ITEM_WORD = r"(?!(?:und|oder|sowie)(?!\w))[^\s,;:.!?]+"
_ITEM = (
    rf"(?!(?i:{_CLAUSE_OPENERS})(?!\w))(?:[a-zäöüß]+(?:e|en|er|es|em)\s+(?!(?i:{_CLAUSE_OPENERS})(?!\w))){{0,2}}"
    rf"[A-ZÄÖÜ][^\s,;:.!?]*(?:\s+{_ITEM_WORD}){{0,2}}"
)
_NOUN_WITHIN = rf"(?=(?:{_ITEM_WORD}\s+){{0,3}}[A-ZÄÖÜ])"
# A decimal mark ("75,7 Millionen Euro", "2.300") is no punctuation that ends a clause.
_IN_CLAUSE = r"(?:[^,;:.!?]|(?<=\d)[,.](?=\d))"
_CLAUSE = re.compile(
    rf"{_IN_CLAUSE}{{0,140}}(?:(?:,\s+{_ITEM})+\s+(?:und|oder|sowie)\s+{_NOUN_WITHIN}{_IN_CLAUSE}{{1,80}})?"
)
# "Die Kriminalisierung habe nur die Mafiagewinne gesteigert, begründet Della Vedova seine
# Initiative.": a justification attributed after the comma gives as its reason what was
# said before it, from the sentence's start. Not one that says its reason itself
# ("…, begründete seinen Schritt mit …") or none ("…, begründet wurde dies nicht").
_JUSTIFIES = re.compile(r"begründe\w*\s+(?:der|die|das|[A-ZÄÖÜ])(?![^,;:.!?]*\b(?:mit|damit|durch|nicht)\b)")
_ATTRIBUTED = re.compile(r"(?:^|[.!?\]]\s+)[„\"“»]?([^.!?\[\]]{10,300}?)[“”\"«]?,\s*$")
# "Der Grund: …", "strukturelle Gründe für X: …": the reason follows the colon.
_NAMES_REASON = re.compile(
    r"(?:(?:Haupt|Beweg)?Gr(?:und|ünden?)(?:\s+(?:für|dafür)\b.*)?|Absicht dahinter)$", re.IGNORECASE
)
_TOLD_AFTER = re.compile(r"\s*:\s*")
# "Die Ursache des Feuers war zunächst unklar", "Den Hauptgrund nannte die Polizei nicht":
# a reason named as a noun and said, in its own short clause, to be unknown is no reason
# given. Not where something else is unknown ("Grund ist ein Felssturz und wie groß der
# Schaden ist, noch unklar"), nor a cause found ("Die Ursache wurde ermittelt: …"), nor
# "aus gesundheitlichen Gründen", whose adjective is the reason.
_REASON_NOUN = re.compile(_REASON_NOUNS, re.IGNORECASE)
_OTHER_WORD = r"(?:\s+(?!(?:und|oder|aber|sondern)\b)\S+)"
_UNKNOWN = re.compile(
    rf"^\S+{_OTHER_WORD}{{0,6}}?\s+(?:(?:noch|weiter|weiterhin|zunächst|vorerst|bislang|bisher)\s+)?"
    r"(?:unklar|unbekannt|ungeklärt|offen|(?:nicht|nichts) bekannt|nicht (?:genannt|mitgeteilt|bekanntgegeben)|"
    r"(?:wird|werden) (?:noch |derzeit |zunächst )?(?:ermittelt|untersucht)|"
    rf"(?:nannte|nannten|nennt|nennen|gab|gaben|gibt|geben|verriet|verrät){_OTHER_WORD}{{0,4}}\s+nicht)$",
    re.IGNORECASE,
)
_OWING_TO = re.compile(r"\baus\s+(?:\S+\s+){0,2}$", re.IGNORECASE)
_PATTERNS = {
    Expected.NUMBER: _NUMBER,
    Expected.DATE: _DATE,
    Expected.PERSON: _NAME,
    Expected.PLACE: _PLACE,
    Expected.REASON: _REASON,
}
# Words that start a sentence or follow a determiner are capitalised whatever they are.
_FUNCTION_WORDS = frozenset(
    "der die das dem den des ein eine einer einem einen eines im am vom zum zur beim ins auch und oder aber "
    "doch so wie als wenn dass ob nach vor mit von bei aus für über unter auf an in zu bis seit ab um "
    "es er sie wir ihr man dies diese dieser dieses jene jener kein keine nicht nur noch schon mehr".split()
)


# What a number question asks the number of, by the unit a fitting answer carries: "Was
# kostet die Strecke?" is answered by "6,8 Milliarden Euro", not by the "160 Kilometer"
# of the sentence before it. A question that names none of these takes any number.
_MEASURES = [
    (
        re.compile(
            r"\b(?:kost\w*|teuer\w*|preis\w*|euro|geld|zahl\w*|bezahl\w*|verdien\w*|gehalt|lohn|budget|"
            r"umsatz|gewinn|verlust\w*|schulden|prämie|zuschuss|cost\w*|pric\w*|expensive|pay\w*|paid|earn\w*|"
            r"salary|revenue|profit|money)\b",
            re.IGNORECASE,
        ),
        re.compile(r"(?:Euro|€|Dollar|\$|Franken|Pfund|Cent|Yen|Rubel)(?!\w)"),
    ),
    (
        re.compile(r"\b(?:prozent\w*|anteil\w*|quote|percent\w*|share)\b", re.IGNORECASE),
        re.compile(r"(?:Prozent\w*|%)"),
    ),
    (
        re.compile(
            # "How long is the line?" asks a length as often as a time: both units fit
            r"\b(?:wie weit|wie lang ist|wie hoch ist|entfernung|how far|how high|how tall|distance|"
            r"how long (?:is|are|was|were|will be))\b",
            re.IGNORECASE,
        ),
        re.compile(r"(?:Kilometer|km|Meter|m|Zentimeter|cm|Millimeter|mm)(?![\w²])"),
    ),
    (
        re.compile(r"\b(?:wie (?:hei(?:ß|ss)|kalt)|temperatur\w*|how (?:hot|cold)|temperature)\b", re.IGNORECASE),
        re.compile(r"(?:Grad|°)"),
    ),
    (
        re.compile(r"\b(?:wie lange|dauer\w*|how long)\b", re.IGNORECASE),
        re.compile(r"(?:Jahre?n?|Monate?n?|Wochen?|Tagen?|Stunden?|Minuten?|Sekunden?)(?!\w)"),
    ),
]


# "Wie viele Bäckereien …" asks for a count: not "in den vergangenen zehn Jahren", nor
# "um fast ein Viertel", in the sentence that says "auf rund 2.300".
_COUNT_ASKED = re.compile(
    r"\b(?:wie viele|how many)\s+(?!(?:jahre|monate|wochen|tage|stunden|minuten|sekunden|prozent|years|months|"
    r"weeks|days|hours|minutes|seconds|percent|euro|dollar|franken|pfund|cent|tonnen|liter|grad|hektar|kilo\w*|"
    r"\w*meter|quadrat\w*|euros|dollars|pounds|tons|tonnes|litres|liters|degrees|miles|\w*metres|\w*meters)\b)",
    re.IGNORECASE,
)
_NO_COUNT = re.compile(
    r"(?:Jahre?n?|Monate?n?|Wochen?|Tagen?|Stunden?|Minuten?|Sekunden?|Prozent\w*|%|Hälfte|Drittel|Viertel)(?!\w)"
)


# A measure of a property ("etwa 650 Kilometer weit", "20 Tonnen schwer") says how far,
# long or heavy something is: no answer to "Wie viele Raketen …?" in any sentence. A
# measure alone may count a mass ("4,5 Millionen Tonnen" answers "Wie viele Lebensmittel …?").
_MEASURED = re.compile(
    r"(?<![^\W\d_])(?:Kilometer|km|Meter|m|Zentimeter|cm|Millimeter|mm|Kilogramm|kg|Gramm|g|Tonnen|t|Grad|°C|"
    r"km/h)(?![\w²/])"
)
_PROPERTY_AFTER = re.compile(
    r"\s+(?:weit|lang|hoch|tief|breit|schwer|entfernt|schnell|dick|warm|kalt|long|high|away|wide|deep|tall|heavy)\b"
)


def counts_nothing_asked(question: str, text: str, number: Span) -> bool:
    """Whether ``number`` in ``text`` measures a property where ``question`` asks how many
    of something."""
    return bool(
        _COUNT_ASKED.search(question) and _MEASURED.search(number.text) and _PROPERTY_AFTER.match(text, number.end)
    )


def fits_measure(question: str, number: str) -> bool:
    """Whether ``number`` carries the unit of what ``question`` asks the number of
    (always, when the question names nothing :data:`_MEASURES` knows), and is no span of
    time or share when it asks how many of something."""
    if _COUNT_ASKED.search(question) and _NO_COUNT.search(number):
        return False
    units = [unit for asked, unit in _MEASURES if asked.search(question)]
    return not units or any(unit.search(number) for unit in units)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


# The nouns of a time, not a place, after "in", "im", "bei": "im November", "in der
# Steinzeit", "in den nächsten Monaten", "bei der Verlängerung" (a compound ending in
# "tag" is not one: "im Bundestag").
_TIME_NOUN = re.compile(
    rf"(?:{_MONTHS}|{_WEEKDAYS}|(?:Frühjahr|Frühling|Sommer|Herbst|Winter|Nacht|Morgen|Abend|Anfang|Ende|"
    r"Verlauf|Vergangenheit|Zukunft|Moment|Augenblick|Saison|Halbzeit|Verlängerung|Tag(?:e|en|es)?|Stunden?|"
    r"Minuten?)s?(?!\w)|[\w-]*(?:[Zz]eit(?:en|raum)?|[Jj]ahr(?:e|en|es|s|zehnt\w*|hundert\w*)?|[Mm]onat(?:e|en|s)?|"
    r"[Ww]ochen?)(?!\w))"
)
# "in Marea", "nach Rosenheim": a name follows its preposition without an article; so
# do the nouns of set phrases, which name no place ("nach Angaben", "vor Ort").
_SET_PHRASE = (
    r"(?:Angaben|Ort|Hause|Anfrage|Auskunft|Ansicht|Meinung|Sicht|Berichten|Informationen|Schätzungen|Einladung|"
    r"Bedarf|Kenntnis|Beginn|Regen|Verfügung|Abschluss|Auftrag|Wunsch|Kosten|Gefahr|Hilfe|Stand|Ende)(?!\w)"
)
# Set phrases after "in der", "im" or "in", matched whole, which put nothing anywhere
# either: "in der Lage" (able to), "in der Regel", "im Rahmen", "in Kraft" (not "in Lage",
# a town in Lippe).
_NO_PLACE = re.compile(
    r"(?:[Ii]n der|[Ii]m)\s+(?:Lage|Regel|Tat|Folge|Rahmen|Zuge|Gegenteil|Gegensatz|Vergleich|Hinblick|"
    r"Wesentlichen|Übrigen|Sinne|Grunde)\b|[Ii]n\s+(?:Kraft|Frage|Anspruch|Betracht)\b"
)
_NAMED_PLACE = re.compile(rf"(?i:in|nach|aus|vor|auf|von)\s+(?!{_SET_PHRASE})[A-ZÄÖÜ]")
# "Und in Berlin?", "and at Siemens?": the name a follow-up swaps the subject with, after
# its preposition; not a time ("in January") nor a set phrase. Not after "für": "Und für
# Studenten?" asks about a group ("für Schüler und Studierende ist er frei").
_NAMED_SUBJECT = re.compile(
    rf"(?<!\w)(?i:in|nach|aus|bei|von|at|from)\s+(?!{_SET_PHRASE})([A-ZÄÖÜ](?:[^\W_]|['-])*(?:\s+[A-ZÄÖÜ](?:[^\W_]|['-])*)*)"
)
_EN_MONTHS = re.compile(
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Monday|Tuesday|"
    r"Wednesday|Thursday|Friday|Saturday|Sunday)(?!\w)"
)
# What makes a place's name an adjective or its people: "Berliner", "dänische" is not
# covered (the stem changes), "Berlinale" is another word.
_DERIVED = ("er", "ern", "erin", "erinnen", "isch", "ische", "ischen", "ischer", "isches", "s")


# "In welchem Hotel …?", "In welchem Gebäude …?": the answer names that noun, as a
# compound ("Interalpenhotel") or with a name after it ("Gebäude der ehemaligen
# Marinetechnikschule"). Not the nouns any place answers to ("In welcher Stadt …?").
_ASKED_PLACE_NOUN = re.compile(
    r"\b(?i:in|an|auf|aus|nach|bei|vor) (?i:welche[mnrs]?) (?:[a-zäöüß]+e[nmrs]? )?([A-ZÄÖÜ][a-zäöüß]{2,})\b"
)
_ANY_PLACE = frozenset(
    "Stadt Land Ort Region Bezirk Gemeinde Staat Bundesland Kanton Provinz Stadtteil Teil Gegend Dorf Kontinent "
    "Gebiet Landkreis Kreis Bundesstaat Hauptstadt Metropole Großstadt Kleinstadt Ortschaft Ortsteil".split()
)


def asked_place_noun(question: str) -> str | None:
    """The kind of place a question names ("Hotel" for "In welchem Hotel …?"), unless any
    place answers to it."""
    m = _ASKED_PLACE_NOUN.search(question)
    return m.group(1) if m and m.group(1) not in _ANY_PLACE and not _TIME_NOUN.fullmatch(m.group(1)) else None


# The adjective a question asks with: "In welcher deutschen Stadt …?" (not "in beiden
# Fällen" for "Wo wohnen die beiden Kinder?", nor "in der Regel" for "… der Apotheker?").
_ASKED_WITH = re.compile(r"\b(?i:welche[mnrs]?)\s+([a-zäöüß]+(?:e|en|er|es|em))\s+[A-ZÄÖÜ]")


def place_rank(span: Span, question: str) -> int | None:
    """How well a place span answers a *wo*-question, lower is better: None for a time
    ("im November"), 0 for a name right after its preposition ("in Marea"), 1 for a
    noun phrase ("in der Nähe"), 2 for a place the question names in a derived form
    ("in Berlin" for "In welchem Berliner Stadtteil …"), and -1 for a name after the
    adjective the question asks with ("im deutschen Rosenheim" for "In welcher deutschen
    Stadt …", over "in Österreich") or for the kind of place it asks for
    ("Interalpenhotel" for "In welchem Hotel …")."""
    words = span.text.split()
    noun = asked_place_noun(question)
    if noun and any(ends_with_noun(w, noun) for w in words):
        return -1
    nouns = [w for w in words[1:] if w[:1].isupper()]
    if not nouns or _TIME_NOUN.fullmatch(nouns[0]) or _NO_PLACE.match(span.text):
        return None  # a time, or a set phrase ("in der Lage")
    if span.text.lower().startswith("vor allem "):
        return None  # "above all"
    if all(any(n.lower() + d in _words(question) for d in _DERIVED) for n in nouns):
        return 2
    adjective = _ASKED_WITH.search(question)
    if adjective and len(words) > 2 and words[1] == adjective.group(1):
        return -1
    return 0 if _NAMED_PLACE.match(span.text) else 1


def is_time_noun(word: str) -> bool:
    """ "Jahr", "Saison", "Wochenende": a noun of a time, which "in diesem Jahr" names
    without pointing back to anything."""
    return bool(_TIME_NOUN.fullmatch(word))


def ends_with_noun(word: str, noun: str) -> bool:
    """ "Medienbehörde" is a "Behörde", "Interalpenhotel" a "Hotel": German compounds end
    in what they name."""
    return len(word) >= len(noun) >= 3 and word.lower().endswith(noun.lower())


# What makes a noun point back to something said before: "der Läufer", "dieses Ding",
# "ihr Vorgänger", "zur Konkurrenz"; "welches Land" asks for one, "wie viele Stellen" counts them.
_POINTS_BACK = re.compile(
    r"(?:der|die|das|den|dem|des|diese[rnms]?|jene[rnms]?|solche[rnms]?|welche[rnms]?|sein(?:e[rnms]?)?|"
    r"ihr(?:e[rnms]?)?|deren|dessen|unser(?:e[rnms]?)?|euer|eure[rnms]?|zu[mr]|im|ins|am|ans|vom|beim|viele?|wieviele?|"
    r"wenige?|mehr|weniger)",
    re.IGNORECASE,
)
# "neue", "ganzen": an adjective between a word and its noun.
_INFLECTED = re.compile(r"[a-zäöüß]+(?:e|en|er|es|em)")
_CAPITALISED = re.compile(r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜa-zäöüß]+)*")
# Capitalised but no thing asked about: the polite "Sie", amounts ("wie viele Euro").
_NO_THING = re.compile(r"(?:Sie|Ihnen|Ihr(?:e[nmrs]?)?|Euro|Cent|Prozent|Mal|Uhr|Leute|Menschen)")


def new_things(question: str) -> list[str]:
    """The nouns a German question names as something new, not pointing back: "Kaffee"
    in "Was kostet ein Kaffee?", "Benzin" in "Was kostet Benzin?"; not "Läufer" in "Wo
    wurde der Läufer angegriffen?" (the one the conversation is about), nor "Land" in
    "Aus welchem Land …?". Not the first word (any word is capitalised there), not a time;
    a name of several words counts by its first."""
    words = re.findall(r"[\w-]+", question)
    found = []
    for i, word in enumerate(words[1:], start=1):
        if not _CAPITALISED.fullmatch(word) or _NO_THING.fullmatch(word) or _TIME_NOUN.fullmatch(word):
            continue
        if i > 1 and _CAPITALISED.fullmatch(words[i - 1]):
            continue  # "Mona Lisa": a name's later word goes with its first
        j = i - 1
        while j > 0 and not _POINTS_BACK.fullmatch(words[j]) and _INFLECTED.fullmatch(words[j]):
            j -= 1
        if not _POINTS_BACK.fullmatch(words[j]):
            found.append(word)
    return found


def named_subjects(text: str) -> list[str]:
    """The names ``text`` puts after a preposition: "Berlin" in "Und in Berlin?"."""
    return [
        m.group(1)
        for m in _NAMED_SUBJECT.finditer(text)
        if not _TIME_NOUN.match(m.group(1)) and not _EN_MONTHS.match(m.group(1))
    ]


# The kind of person, organisation or thing a German question asks for: "Welcher
# Energiekonzern …?", "Mit welcher Behörde …?", "Welches Gerät …?".
_ASKED_ROLE = re.compile(r"\b(?i:welche[rnms]?)\s+(?:[a-zäöüß]+e[nrs]?\s+)?([A-ZÄÖÜ][\w-]{3,})")


# The German noun news introduces a person or organisation with, for the English word a
# question asks with: "Which German poet …?" wants the name after "Dichter", as "Welcher
# deutsche Dichter …?" does. Only words German names one way ("director" is a
# "Regisseur" or a "Direktor", a "company" an "Unternehmen", a "Konzern" or a "Firma").
_GERMAN_ROLE = {
    "actor": "Schauspieler",
    "actress": "Schauspielerin",
    "ambassador": "Botschafter",
    "architect": "Architekt",
    "artist": "Künstler",
    "author": "Autor",
    "bishop": "Bischof",
    "chancellor": "Kanzler",
    "coach": "Trainer",
    "composer": "Komponist",
    "defender": "Verteidiger",
    "doctor": "Arzt",
    "driver": "Fahrer",
    "emperor": "Kaiser",
    "founder": "Gründer",
    "general": "General",
    "goalkeeper": "Torhüter",
    "governor": "Gouverneur",
    "historian": "Historiker",
    "inventor": "Erfinder",
    "journalist": "Journalist",
    "judge": "Richter",
    "king": "König",
    "mayor": "Bürgermeister",
    "minister": "Minister",
    "newspaper": "Zeitung",
    "painter": "Maler",
    "party": "Partei",
    "philosopher": "Philosoph",
    "physician": "Arzt",
    "player": "Spieler",
    "poet": "Dichter",
    "politician": "Politiker",
    "pope": "Papst",
    "president": "Präsident",
    "prince": "Prinz",
    "professor": "Professor",
    "publisher": "Verlag",
    "queen": "Königin",
    "researcher": "Forscher",
    "scientist": "Wissenschaftler",
    "senator": "Senator",
    "singer": "Sänger",
    "spokesman": "Sprecher",
    "spokeswoman": "Sprecherin",
    "striker": "Stürmer",
    "union": "Gewerkschaft",
    "university": "Universität",
    "writer": "Schriftsteller",
}
# One group per role, in the order of the table, so the group that matched names it.
_ASKED_ROLE_EN = re.compile(
    r"\bwhich\s+(?:[\w-]+\s+)?(?:"
    + "|".join(
        f"({word.removesuffix('y')}(?:y|ies))" if word.endswith("y") else f"({word}(?:e?s)?)" for word in _GERMAN_ROLE
    )
    # not "which party leaders", "which king's daughter": the person asked for is another
    + rf")\b(?!['’]|\s+(?:(?:{_EN_PEOPLE})(?:e?s)?|candidates?|nominees?|editors?|boss(?:es)?|chiefs?|heads?)\b)",
    re.IGNORECASE,
)


def asked_role(question: str) -> str | None:
    """The noun after *welche-* ("Energiekonzern"), which the answer should name as that
    kind; for an English question the German noun of the kind it asks for."""
    if m := _ASKED_ROLE.search(question):
        return m.group(1)
    m = _ASKED_ROLE_EN.search(question)
    if not m or expected(question) is not Expected.PERSON:  # "which general election"
        return None
    return next(german for german, said in zip(_GERMAN_ROLE.values(), m.groups(), strict=True) if said)


def named(span: Span) -> bool:
    """Whether a person span holds a known given name: a capitalised noun phrase
    ("Deutsche Bahn", "Quarterback der Liga") reads as a name too."""
    return not FIRST_NAMES.isdisjoint(span.text.split())


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w+", text)}


def spans(sentence: str, kind: Expected, question: str = "") -> list[Span]:
    """Places in ``sentence`` that state a ``kind`` fact the question does not already say."""
    pattern = _PATTERNS.get(kind)
    if pattern is None:
        return []
    asked = _words(question)
    found = []
    matches = list(pattern.finditer(sentence))
    noun = asked_place_noun(question) if kind is Expected.PLACE else None
    if noun:
        called = re.compile(
            rf"\b(?:{noun}|[A-ZÄÖÜ][\w-]*{noun.lower()})(?!\w)"
            rf"(?:\s+(?:der|des|an der|am|von)\s+(?:[a-zäöüß]+e[nmrs]?\s+)?{_CAP}(?:\s+{_CAP})*)?"
        )
        matches += [m for m in called.finditer(sentence) if not any(o.start() <= m.start() < o.end() for o in matches)]
    for m in matches:
        text = m.group(0).strip(" ,")
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip(" ,")))
        said = _SAID_VERB.match(text) if kind is Expected.PERSON else None
        if said:  # "sagte Hendricks": the verb is not part of the name
            text, start = text[said.end() :], start + said.end()
        elif kind is Expected.PERSON:
            # "Der Tiergarten Schönbrunn", "Frankfurt-Coach Thomas Schaaf", "Seine Frau
            # Britta Ernst": neither the article nor a role, title or relative before a
            # name is part of it. A title or relative opens a name where no given name is
            # known ("Ehefrau Ensaf Haidar") and a capitalised word and one more follow,
            # and after one a given name last is a surname ("Ernst").
            words = text.split(" ")
            # … also after an article, a possessive or a genitive ("Badawis Ehefrau …"); a
            # given name is one only before another ("Thomas Sohn Peter Müller", not
            # "Thomas Mann Gesellschaft Lübeck")
            genitive = (
                len(words) > 1
                and words[0][-1:] in "s’'"
                and bool(_TITLE.fullmatch(words[1]))
                and (words[0] not in FIRST_NAMES or not FIRST_NAMES.isdisjoint(words[2:]))
            )
            lead = 1 if genitive or _DETERMINER.fullmatch(words[0].lower()) else 0
            given = next((i for i, w in enumerate(words) if i >= lead and w in FIRST_NAMES), None)
            titled = given in (None, len(words) - 1) and len(words) - lead > 2 and bool(_TITLE.fullmatch(words[lead]))
            cut = given or 0
            if titled and words[lead + 1][:1].isupper():
                cut = lead + 1
            elif given is None and len(words) > 1 and words[0].lower() in _FUNCTION_WORDS:
                cut = 1
            if cut:
                skipped = len(" ".join(words[:cut])) + 1
                text, start = text[skipped:], start + skipped
        one_word = " " not in text and not _ACRONYM.fullmatch(text) and text[:1] not in '„"“»'
        if kind is Expected.PERSON and one_word and not said:
            continue  # one capitalised word is a German noun as often as a name
        if kind is Expected.REASON:  # the cue word is not the reason: show its clause
            clause = _CLAUSE.match(sentence[start:])
            cue, text = text, clause.group(0).rstrip() if clause else text
            if _REASON_NOUN.fullmatch(cue) and not _OWING_TO.search(sentence, 0, start) and _UNKNOWN.match(text):
                continue
            told = _TOLD_AFTER.match(sentence, start + len(text)) if _NAMES_REASON.fullmatch(text) else None
            after = _CLAUSE.match(sentence, told.end()) if told else None
            if after and after.group(0).strip():  # "Der Grund: Absatz 35 setzte … fest": what follows
                start, text = after.start(), after.group(0).rstrip()
            said_before = _ATTRIBUTED.search(sentence, 0, start) if _JUSTIFIES.match(text) else None
            if said_before:  # "…, begründet Della Vedova seine Initiative": what was said before
                start, text = said_before.start(1), said_before.group(1)
        content = _words(text) - _FUNCTION_WORDS
        if kind is not Expected.REASON and content and content <= asked:
            continue  # the question already names it: no new fact
        found.append(Span(start, start + len(text), text))
    return found
