"""A number's scale and unit, as a claim and the text it cites state them.

The LLM check (:mod:`absatz.llm`) finds every number of a reply sentence in what it
cites, but a number is not a quantity: "300 Meter" for the source's "300 Kilometer",
"14 Euro" for "14 Millionen Euro" or "1.2 million" for "1,2 Milliarden" keep the number
and change the fact. A stated unit must be one the source states with that number (or
the source states none), and a stated scale must be the source's.

German and English forms meet in one canonical name, so a translation ("160 kilometres"
for "160 Kilometer", "7.7 million" for "7,7 Millionen") is what its source says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# One canonical name per unit, German and English spellings (lower case, inflections).
_UNIT_FORMS = {
    "m": "m meter metern metre metres meters",
    "km": "km kilometer kilometern kilometre kilometres kilometers",
    "cm": "cm zentimeter zentimetern centimetre centimetres centimeter centimeters",
    "mm": "mm millimeter millimetern millimetre millimetres millimeters",
    "mi": "meilen mile miles",
    "g": "g gramm gram grams",
    "kg": "kg kilo kilos kilogramm kilogram kilograms",
    "t": "t tonne tonnen tonnes ton tons",
    "l": "liter litern litre litres liters",
    "eur": "€ euro euros eur",
    "ct": "cent cents",
    "usd": "$ dollar dollars usd",
    "chf": "franken franc francs chf",
    "gbp": "£ gbp",
    "pct": "% prozent percent",
    "pp": "prozentpunkte prozentpunkt percentage",
    "deg": "grad degrees degree °c °",
    "degf": "fahrenheit °f",
    "s": "sekunde sekunden second seconds sek",
    "min": "minute minuten minutes min",
    "h": "stunde stunden hour hours std",
    "d": "tag tage tagen day days",
    "wk": "woche wochen week weeks",
    "mo": "monat monate monaten month months",
    "y": "jahr jahre jahren year years",
}
UNITS = {form: unit for unit, forms in _UNIT_FORMS.items() for form in forms.split()}

# German "Billion" is 10^12, English "billion" 10^9: either may be meant by the word.
SCALES: dict[str, frozenset[int]] = {
    "tausend": frozenset({3}),
    "thousand": frozenset({3}),
    "mio": frozenset({6}),
    "million": frozenset({6}),
    "millionen": frozenset({6}),
    "millions": frozenset({6}),
    "mrd": frozenset({9}),
    "milliarde": frozenset({9}),
    "milliarden": frozenset({9}),
    "bn": frozenset({9}),
    "billion": frozenset({9, 12}),
    "billions": frozenset({9}),
    "billionen": frozenset({12}),
    "bio": frozenset({12}),
    "trillion": frozenset({12}),
    "trillions": frozenset({12}),
    "billiarde": frozenset({15}),
    "billiarden": frozenset({15}),
    "quadrillion": frozenset({15}),
}

NUMBER_WORDS = {
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "elf": 11,
    "zwölf": 12,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SPOKEN = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
# What may follow a number: a scale word (``Mrd.``), then a unit (``Euro``, ``%``, ``km``),
# separated by spaces or a hyphen (``30-Kilometer-Strecke``).
_WORD = re.compile(r"[ \t\u00a0]*-?[ \t\u00a0]*(%|°c|°|[^\W\d_]+)\.?", re.IGNORECASE)
_PREFIX = re.compile(r"([€$£])[ \t\u00a0]*$")


def number_value(token: str) -> str:
    """1,2 / 1.2 → 1.2; 24.000 / 24,000 → 24000 (German and English separators)."""
    parts = re.split(r"[.,]", token)
    if len(parts) == 2 and len(parts[1]) != 3:
        return f"{int(parts[0])}.{parts[1]}"
    return str(int("".join(parts)))


@dataclass(frozen=True)
class Quantity:
    value: str
    scales: frozenset[int]  # empty: no scale word
    unit: str | None

    def stated_by(self, source: Quantity) -> bool:
        """The source states this quantity: the same scale, and the same unit unless
        either leaves it out ("Tempo 30" supports "30 km/h"). A bare number in the source
        supports any: a range shares what follows its end ("zwischen 10 und 14 Millionen
        Euro" says "10 million euros")."""
        if not source.scales and source.unit is None:
            return True
        same_scale = self.scales & source.scales if self.scales or source.scales else True
        return bool(same_scale) and (self.unit is None or source.unit is None or self.unit == source.unit)


def quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` (digits and the number words) with the scale and unit that
    follow it, or a currency sign before it."""
    found = []
    spans = [(m.start(), m.end(), number_value(m.group())) for m in NUMBER.finditer(text)]
    spans += [(m.start(), m.end(), str(NUMBER_WORDS[m.group(1).lower()])) for m in _SPOKEN.finditer(text)]
    for start, end, value in sorted(spans):
        scales: frozenset[int] = frozenset()
        unit = None
        word = _WORD.match(text, end)
        prefix = _PREFIX.search(text, max(0, start - 3), start)
        if word and word.group(1).lower() in SCALES:
            scales = SCALES[word.group(1).lower()]
            word = _WORD.match(text, word.end())
        elif word and word.group(1).lower() in ("m", "mn") and _is_money(text, prefix, word.end()):
            scales = frozenset({6})  # "€14m", "14m euros": millions, not metres
            word = _WORD.match(text, word.end())
        if word and word.group(1).lower() in UNITS:
            unit = UNITS[word.group(1).lower()]
            scale = _WORD.match(text, word.end()) if unit == "deg" else None
            if scale and scale.group(1).lower() in ("fahrenheit", "f"):
                unit = "degf"  # "39,4 Grad Fahrenheit" is not the source's "39,4 Grad Celsius"
        if unit is None and prefix:
            unit = UNITS[prefix.group(1)]
        found.append(Quantity(value, scales, unit))
    return found


_CURRENCIES = frozenset({"eur", "usd", "chf", "gbp"})


def _is_money(text: str, prefix: re.Match[str] | None, end: int) -> bool:
    after = _WORD.match(text, end)
    return prefix is not None or (after is not None and UNITS.get(after.group(1).lower()) in _CURRENCIES)


def quantities_stated(claim: str, source: str) -> bool:
    """Every number ``claim`` qualifies with a scale or unit is qualified alike somewhere in
    ``source`` (or never qualified there). Whether the numbers occur at all is the
    caller's check."""
    stated = quantities(source)
    for q in quantities(claim):
        if not q.scales and q.unit is None:
            continue
        alike = [s for s in stated if s.value == q.value]
        if alike and not any(q.stated_by(s) for s in alike):
            return False
    return True
