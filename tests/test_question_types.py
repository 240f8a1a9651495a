"""What a question asks for, and where a German sentence states it (pure functions)."""

import pytest

from absatz.question_types import Expected, expected, spans


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Wer wird neuer Chefredakteur beim Rundblick?", Expected.PERSON),
        ("Who succeeds Huber as editor of Rundblick?", Expected.PERSON),
        ("Bei welchem Verein spielt er jetzt?", Expected.PERSON),
        ("Wie viele Blitzer will Köln aufstellen?", Expected.NUMBER),
        ("How much food could be saved each year?", Expected.NUMBER),
        ("At what age do teenagers start smoking?", Expected.NUMBER),
        ("Seit wann ist John Cryan Chef der Deutschen Bank?", Expected.DATE),
        ("In welchem Jahr wurde das Museum eröffnet?", Expected.DATE),
        ("What's the deadline for the signatures?", Expected.DATE),
        ("In welcher Stadt kamen die Flüchtlinge an?", Expected.PLACE),
        ("Where was Pione Sisto born?", Expected.PLACE),
        ("Warum verteuern die Stadtwerke die Fernwärme?", Expected.REASON),
        ("Woran lag der Ausfall beim Online-Banking?", Expected.REASON),
        ("Why did the museum close?", Expected.REASON),
        ("Was kritisieren die Umweltverbände?", Expected.OTHER),
        # a German compound ends in what it names
        ("Mit welchem Oppositionspolitiker traf sich Erdogan?", Expected.PERSON),
        ("Welcher Energiekonzern bekam den Auftrag?", Expected.PERSON),
        ("Which right-wing party could join the coalition?", Expected.PERSON),
        ("What's the new Fear Factory album called?", Expected.PERSON),
        ("In which year did the gallery open?", Expected.DATE),
        ("In welchem\u200b\u200b Jahr endete der Konflikt?", Expected.DATE),
        ("Wann\u200bwurde er gewählt?", Expected.DATE),
        ("Welche Altersgruppe raucht am meisten?", Expected.OTHER),
        ("Which Syrian city was he held in?", Expected.PLACE),
        ("Welches Land besuchte Kenyatta auf Einladung des Präsidenten?", Expected.PLACE),
        ("Welche osteuropäischen Großstädte wurden nicht zerstört?", Expected.PLACE),
        ("Welcher NASA-Standort lenkte als letzter ein?", Expected.PLACE),
        ("Welches Ressort übernimmt Darabos?", Expected.OTHER),
        ("Welches Wort fiel am häufigsten?", Expected.OTHER),
        ("Welcher Niederländer gewann das Rennen?", Expected.OTHER),
        ("Welches Deutschland-Ticket gilt im Regionalzug?", Expected.OTHER),
        ("Welche Fangemeinde protestierte?", Expected.OTHER),
        ("Welche Ortsteile sind betroffen?", Expected.PLACE),
        ("What was Warsaw's population in 1901?", Expected.NUMBER),
        ("Welcher Prozentsatz der Bevölkerung war katholisch?", Expected.NUMBER),
        ("Wie heiß war es in Freiburg?", Expected.NUMBER),
        ("How cold will it get at the weekend?", Expected.NUMBER),
        ("Wie warm sind die Beziehungen zu Russland?", Expected.OTHER),
        # a record is a number, its holder a person, a record label neither
        ("Was war der alte Hitzerekord in Freiburg?", Expected.NUMBER),
        ("What was the previous heat record in Freiburg?", Expected.NUMBER),
        ("Wer hält den Rekord?", Expected.PERSON),
        ("What is the record label of Adele?", Expected.OTHER),
        ("What is the criminal record of the suspect?", Expected.OTHER),
        ("Was veranlasste Luther, Lieder zu schreiben?", Expected.REASON),
        ("Wie begründet Microsoft den neuen Hinweis?", Expected.REASON),
        ("How does Microsoft justify the new notice?", Expected.REASON),
        ("Mit welchem Argument lehnt Wolff das ab?", Expected.REASON),
        # "wozu" with a verb that takes "zu" asks what came of it, not what it is for
        ("Wozu dient der schwarze Balken auf der Rückseite?", Expected.REASON),
        ("Wozu will die BBC den Fernseher per Gedanken steuern lassen?", Expected.REASON),
        ("Wozu führte der Bau von Autobahnen im Regenwald?", Expected.OTHER),
        ("Wozu trug die Popularität von Luthers Übersetzung bei?", Expected.OTHER),
        ("Wozu neigen besonders ungleiche Gesellschaften?", Expected.OTHER),
        ("und wozu kam es nach dem Spiel", Expected.OTHER),
        ("Wozu führt Apple die neue Funktion ein?", Expected.REASON),
        ("Wozu tritt Schweden der Nato bei?", Expected.REASON),
        ("Wozu dient die Beitragserhöhung?", Expected.REASON),
        # only a "when" that asks asks for a date: after a "when" clause, the question word
        # that follows its comma decides
        ("When did the museum in Leipzig reopen?", Expected.DATE),
        ("When is the Bremen Tatort 'Wer Wind erntet, sät Sturm' on TV?", Expected.DATE),
        ("When will the new rule, which the council passed on Thursday, apply?", Expected.DATE),
        ("When exactly, according to the club, did Petersen score?", Expected.DATE),
        ("When exactly was the bridge closed, and for how long?", Expected.DATE),
        ("When roughly did the strike start, who called it?", Expected.DATE),
        ("When the war in Ukraine began, who was chancellor?", Expected.PERSON),
        # after what/which/how a "when" opens a clause
        ("What happens to the norm when a number is multiplied by p?", Expected.OTHER),
        ("What does the chatbot send when it finds no venue nearby?", Expected.OTHER),
        ("How many seconds were left when Denver scored?", Expected.NUMBER),
        ("Do you know when the museum reopens?", Expected.DATE),
        ("What about the bridge, when will it reopen?", Expected.DATE),
        # a person named by office or trade, in both languages
        ("Welcher Landrat hat die Schließung angeordnet?", Expected.PERSON),
        ("Welche Bürgermeisterin wurde wiedergewählt?", Expected.PERSON),
        ("Welcher österreichische Kanzler war gerade zurückgetreten?", Expected.PERSON),
        ("Welcher Richter hat die Zeitung verurteilt?", Expected.PERSON),
        ("Bei welchem Nationalratsabgeordneten jobbt er nebenbei?", Expected.PERSON),
        ("Welcher Asylrechtsexperte erklärt das?", Expected.PERSON),
        ("Welcher Arzt hat Trump eine exzellente Gesundheit bescheinigt?", Expected.PERSON),
        ("Welcher Rennfahrer wurde nach seinem Tod Weltmeister?", Expected.PERSON),
        ("Unter welchem Namen tritt der Hacker auf?", Expected.PERSON),
        ("Which Austrian chancellor had just resigned?", Expected.PERSON),
        ("Which Chile goalkeeper saved the penalty?", Expected.PERSON),
        ("Which judge convicted the newspaper?", Expected.PERSON),
        ("Which Green member of parliament made it public?", Expected.PERSON),
        ("Which presidents met in Minsk?", Expected.PERSON),
        # … but not a thing that ends like one, nor a general election or a member state
        ("Welche Fahrerlaubnis braucht man dafür?", Expected.OTHER),
        ("Welcher Halbleiter wird knapp?", Expected.OTHER),
        ("Welcher Fahrplan gilt ab Sonntag?", Expected.OTHER),
        ("Which general election did the party win?", Expected.OTHER),
        ("Which member states voted against?", Expected.OTHER),
        ("welcher supraleiter wird gekühlt", Expected.OTHER),
        ("Welche Lautsprecher sind verbaut?", Expected.OTHER),
        ("Welche zahnärztlichen Leistungen zahlt die Kasse?", Expected.OTHER),
        ("Which driver update fixes the crash?", Expected.OTHER),
        ("Which king-size bed did they order?", Expected.OTHER),
        ("Which official figures did the ministry publish?", Expected.OTHER),
        # … and the forms people type: a feminine plural, "ue" for "ü", an English plural
        ("welche expertinnen warnen davor", Expected.PERSON),
        ("welcher buergermeister hat das gesagt", Expected.PERSON),
        ("Which spokesmen confirmed it?", Expected.PERSON),
        ("Vor welchem Richter musste er erscheinen?", Expected.PERSON),
        ("Gegen welchen Spieler wird ermittelt?", Expected.PERSON),
        ("Vor welchem Gebäude demonstrierten sie?", Expected.PLACE),
        ("Vor welchem Datum abgeschickte Wahlkarten sind ungültig?", Expected.DATE),
        ("Aus welchem Jahr stammt das Gesetz?", Expected.DATE),
        # A preposition before "welche-" asks for a place only when the noun after it does
        # not say otherwise: a decade asks when, an amount or a distance how much
        ("In welchem Jahrzehnt wurde die Brücke gebaut?", Expected.DATE),
        ("In welchem Jahrhundert entstand die Kirche?", Expected.DATE),
        ("Auf welchen Höchstbetrag werden Barzahlungen beschränkt?", Expected.NUMBER),
        ("Aus welcher Entfernung wurde das Foto aufgenommen?", Expected.NUMBER),
        ("Bei welcher Temperatur schmilzt das Eis?", Expected.NUMBER),
        ("In welcher Gemeinde liegt der Hof?", Expected.PLACE),
        ("Auf welcher Insel strandeten sie?", Expected.PLACE),
        # … but a place noun with a verb after it is no amount, nor a market stall a level
        ("In welchen Bezirken kosten Wohnungen am meisten?", Expected.PLACE),
        ("in welchen orten stand der strom still", Expected.PLACE),
        ("In welchen Landkreisen kosten Wohnungen am meisten?", Expected.PLACE),
        ("Welchen Stand hat das Verfahren?", Expected.NUMBER),
        ("An welchem Stand gibt es die besten Maroni?", Expected.PLACE),
        # years and a span of time ask when, in either language
        ("In welchen Jahren war die Pest verbreitet?", Expected.DATE),
        ("In welchem Zeitraum lief das?", Expected.DATE),
        ("In what years did Spain and Portugal join the EU?", Expected.DATE),
        ("Over what period did that run?", Expected.DATE),
        ("From which year is the law?", Expected.DATE),
        ("In which centuries was it built?", Expected.DATE),
        # English too: a preposition before "which" asks for a place only when the noun
        # after it does not say otherwise
        ("To which year does the oldest find date back?", Expected.DATE),
        ("In which time will the bridge be finished?", Expected.DATE),
        ("In which time zone is Vienna?", Expected.PLACE),
        ("For which club did he score?", Expected.PERSON),
        ("To which party does the mayor belong?", Expected.PERSON),
        ("Near which station did the accident happen?", Expected.PLACE),
        # … and so is one after a "When …," clause
        ("When the fire started, in which building was it?", Expected.PLACE),
        ("When Kurz resigned, to which party did the votes go?", Expected.PERSON),
        ("When the strike started, for which company did the workers work?", Expected.PERSON),
        # … not a prison term, nor a day care centre
        ("Welche Jahre Haft drohen dem Ex-Minister?", Expected.OTHER),
        ("From which day care centre were the children evacuated?", Expected.PLACE),
        # a day of the week, a week, a match day ask when; a level, a scope, "hoehe" how much
        ("An welchem Wochentag ist der Bauernmarkt?", Expected.DATE),
        ("In welcher Kalenderwoche wird die Brücke gesperrt?", Expected.DATE),
        ("An welchem genauen Datum tritt das Gesetz in Kraft?", Expected.DATE),
        ("Auf welchem Niveau liegt die Inflation?", Expected.NUMBER),
        ("in welcher hoehe fällt die strafe aus", Expected.NUMBER),
        ("At which time does the polling station close?", Expected.DATE),
        ("From which age can kids get the vaccine?", Expected.NUMBER),
        ("At which price will the shares be offered?", Expected.NUMBER),
        # … but not a word that starts like one
        ("Welche Wochenzeitung hat das berichtet?", Expected.PERSON),
        ("How soon will the bridge reopen?", Expected.DATE),
        # English plurals, but not an mp3 player nor member countries
        ("Which parties voted against the bill?", Expected.PERSON),
        ("Which actresses were nominated?", Expected.PERSON),
        ("Which mp3 player did they find?", Expected.OTHER),
        ("Which member countries voted against?", Expected.OTHER),
    ],
)
def test_what_a_question_asks_for(question, kind):
    assert expected(question) is kind


def test_the_question_word_that_comes_first_decides():
    # "when" joins a clause here; the question asks for a person.
    assert expected("Who becomes interior minister when Mikl-Leitner moves to Lower Austria?") is Expected.PERSON
    assert expected("Wie viele Menschen starben wo?") is Expected.NUMBER


@pytest.mark.parametrize(
    "sentence, german, english",
    [
        (
            "Matchwinner war der 19 Jahre alte Stürmer Jonas Petersen, der in der Verlängerung zwei Tore erzielte.",
            "Wie viele Tore erzielte Jonas Petersen?",
            "How many goals did Jonas Petersen score?",
        ),
        (
            "Als die Broncos den Pass abfingen, blieben noch 17 Sekunden auf der Uhr.",
            "Als die Broncos den Pass abfingen, wie viele Sekunden blieben noch?",
            "When the Broncos intercepted the pass, how many seconds were left?",
        ),
        (
            "Der Eintritt kostet zwölf Euro, für Schüler und Studierende ist er frei.",
            "Als das Museum wieder öffnete, wie viel kostete der Eintritt?",
            "When the museum reopened, how much did admission cost?",
        ),
    ],
)
def test_an_english_how_many_question_marks_the_number_its_german_one_marks(sentence, german, english):
    """English opens a clause with "when" where German says "als": "When the Broncos
    intercepted the pass, how many …" was read as asking for a date, and its answer had
    no number to show in bold."""
    assert expected(german) is expected(english) is Expected.NUMBER
    marked = [s.text for s in spans(sentence, expected(german), german)]
    assert marked and [s.text for s in spans(sentence, expected(english), english)] == marked


SENTENCE = (
    "Die Leitung übernimmt mit 1. Juni der frühere Wirtschaftschef Robert Schneider, weil Martin Huber "
    "nach elf Jahren geht; die Auflage lag zuletzt bei rund 61.000 Exemplaren in Wien."
)


@pytest.mark.parametrize(
    "kind, question, wanted",
    [
        (Expected.PERSON, "Wer wird Chefredakteur?", "Robert Schneider"),
        (Expected.NUMBER, "Wie hoch war die Auflage?", "rund 61.000 Exemplaren"),
        (Expected.DATE, "Ab wann leitet er die Redaktion?", "1. Juni"),
        (Expected.PLACE, "Wo erscheint das Magazin?", "in Wien"),
        (Expected.REASON, "Warum wechselt die Leitung?", "weil Martin Huber nach elf Jahren geht"),
    ],
)
def test_spans_mark_the_fact_of_the_kind_asked(kind, question, wanted):
    found = spans(SENTENCE, kind, question)
    assert wanted in [s.text for s in found]
    for s in found:
        assert SENTENCE[s.start : s.end] == s.text


def test_a_fact_the_question_already_names_is_no_answer():
    asked = "Was macht Robert Schneider ab Juni?"
    assert "Robert Schneider" not in [s.text for s in spans(SENTENCE, Expected.PERSON, asked)]
    assert "Martin Huber" in [s.text for s in spans(SENTENCE, Expected.PERSON, asked)]


def test_one_capitalised_noun_is_not_a_name():
    assert spans("Die Redaktion zog im Herbst in ein neues Gebäude.", Expected.PERSON, "Wer?") == []
    assert [s.text for s in spans("Dafür stimmten SPÖ und ÖVP.", Expected.PERSON, "Wer?")] == ["SPÖ", "ÖVP"]


@pytest.mark.parametrize(
    "kind, sentence, wanted",
    [
        # a count in words needs no unit, only a noun ("eine Studie" is no count)
        (Expected.NUMBER, "Bei dem Unfall wurden zwölf Kinder und eine Lehrerin verletzt.", ["zwölf Kinder"]),
        (Expected.NUMBER, "Er verpasste den Sieg um drei Zehntel.", ["drei Zehntel"]),
        # a year before 1900 needs its preposition; centuries are dates too
        (
            Expected.DATE,
            "Das Spital besteht seit 1784 und wurde im 19. Jahrhundert erweitert.",
            ["seit 1784", "im 19. Jahrhundert"],
        ),
        # the surname that closes a quote's attribution is the speaker's name
        (Expected.PERSON, "Wir haben genug getan, sagte Hofbauer.", ["Hofbauer"]),
        # a sentence may begin with the place
        (Expected.PLACE, "In der Grenzstadt Spielfeld warten Hunderte.", ["In der Grenzstadt Spielfeld"]),
        # a season takes its year along
        (Expected.DATE, "Im Frühjahr 2024 fand sie die ersten Exemplare.", ["Im Frühjahr 2024"]),
        (Expected.DATE, "Gebaut wird im Winter 2025/26.", ["im Winter 2025/26"]),
        (Expected.DATE, "Gebaut wird im Winter 2025/2026.", ["im Winter 2025/2026"]),
        # a purpose is a reason: its clause after the cue
        (
            Expected.REASON,
            "Die Stadt verspricht sich von der Maßnahme weniger Unfälle und weniger Lärm.",
            ["verspricht sich von der Maßnahme weniger Unfälle und weniger Lärm"],
        ),
        (
            Expected.REASON,
            "Sie verspricht sich vom neuen Gesetz weniger Bürokratie.",
            ["verspricht sich vom neuen Gesetz weniger Bürokratie"],
        ),
        # … but one who "versprach sich" misspoke
        (Expected.REASON, "Der Minister versprach sich bei der Rede mehrmals.", []),
        (Expected.REASON, "Er versprach sich.", []),
        # one argued with is no argument
        (Expected.REASON, "Sie argumentierte mit ihrem Kollegen, weil die Frist ablief.", ["weil die Frist ablief"]),
        # a colon after "Grund zur Freude" introduces no reason for it
        (Expected.REASON, "Grund zur Freude: Der FC gewann.", ["Grund zur Freude"]),
        # "Der Grund: …" tells the reason after its colon
        (
            Expected.REASON,
            "Der Grund für das Jubiläum: Absatz 35 setzte ein einheitliches Biermaß fest.",
            ["Absatz 35 setzte ein einheitliches Biermaß fest"],
        ),
        (
            Expected.REASON,
            "Die Stadt genehmigte es nicht und argumentierte mit fehlendem Hochwasserschutz.",
            ["argumentierte mit fehlendem Hochwasserschutz"],
        ),
    ],
)
def test_spans_find_facts_in_the_shapes_news_writes_them(kind, sentence, wanted):
    assert [s.text for s in spans(sentence, kind, "Frage?")] == wanted


def test_numbers_and_names_stay_strict_where_the_shape_is_ambiguous():
    assert spans("Sie legten eine Studie vor.", Expected.NUMBER, "Wie viele?") == []
    assert spans("Der Bau begann 1784 Meter über dem Meer.", Expected.DATE, "Wann?") == []
    assert spans("Die Miete stieg um 1500 Euro.", Expected.DATE, "Wann?") == []
    # a capitalised word after the verb but inside the sentence is a noun, and so is
    # the one after an article and a participle
    assert spans("Er sagte Danke und ging.", Expected.PERSON, "Wer?") == []
    assert spans("Das ist das erklärte Ziel.", Expected.PERSON, "Wer?") == []
    # at a sentence's start every noun is capitalised: only a place noun opens a place
    assert spans("Nach Angaben der Polizei wurde niemand verletzt.", Expected.PLACE, "Wo?") == []


def test_spans_at_a_sentence_start_and_with_uneven_spacing():
    assert [s.text for s in spans("Zwei Beobachter blieben.", Expected.NUMBER, "Wie viele?")] == ["Zwei Beobachter"]
    assert [s.text for s in spans("Seit 1570 gibt es den Markt.", Expected.DATE, "Wann?")] == ["Seit 1570"]
    found = spans("Das reicht nicht, sagt  Filis.", Expected.PERSON, "Wer?")
    assert [(s.text, "Das reicht nicht, sagt  Filis."[s.start : s.end]) for s in found] == [("Filis", "Filis")]


def test_a_long_hyphenated_compound_is_read_in_one_pass():
    """Corpus text is not chosen by us: a 20,000-character compound once took hours per
    sentence (backtracking grew with the cube of its length). Run apart, with a limit far
    above the second it takes, so a regression fails instead of hanging the suite."""
    import subprocess
    import sys

    script = (
        "from absatz.question_types import Expected, spans\n"
        "text = 'Er sagte ' + '-'.join(['Bundes'] * 3000) + ' dort.'\n"
        "for kind in Expected:\n"
        "    spans(text, kind, 'Wer?')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], timeout=120, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "sentence",
    [
        "Die Sitzung in Mainz endete ohne Ergebnis.",
        "Der Vertrag wurde in Mailand unterzeichnet.",
        "Die Einladung kam per E-Mail.",
        "Verkehrsminister Andreas Scheuer trat zurück.",
        "Das Ungeheuer wurde im Loch Ness gesichtet.",
        "Julia Klöckner stellte den Plan vor.",
        "Der Junior-Partner stimmte zu.",
        "Der Aprilscherz kam gut an.",
        "Die Sonntagsfrage sieht die SPD vorn.",
        "Das Oktoberfest zieht Millionen an.",
    ],
)
def test_a_month_weekday_or_heuer_inside_a_word_is_no_date(sentence):
    assert spans(sentence, Expected.DATE, "Wann?") == []


def test_dates_keep_their_word_forms():
    sentence = (
        "Am Sonntagabend, Montagfrüh und Dienstagvormittag, heuer wie gestern und vorgestern, "
        "im Laufe des Novembers und an Sonntagen."
    )
    assert [s.text for s in spans(sentence, Expected.DATE, "Wann?")] == [
        "Sonntagabend",
        "Montagfrüh",
        "Dienstagvormittag",
        "heuer",
        "gestern",
        "vorgestern",
        "Novembers",
        "Sonntagen",
    ]


def test_a_time_range_is_one_date():
    assert [s.text for s in spans("Das Museum ist von 10 bis 18 Uhr geöffnet.", Expected.DATE, "Wann?")] == [
        "von 10 bis 18 Uhr"
    ]
    assert [s.text for s in spans("Kontrolliert wird zwischen 6.30 und 9 Uhr.", Expected.DATE, "Wann?")] == [
        "zwischen 6.30 und 9 Uhr"
    ]


def test_an_abbreviation_opens_a_club_name():
    sentence = "Der FC Nordheide schlug den SV Werder Bremen, Trainer des FC Bayern München sah zu."
    found = [s.text for s in spans(sentence, Expected.PERSON, "Wer gewann?")]
    assert found == ["FC Nordheide", "SV Werder Bremen", "FC Bayern München"]
    # a particle after the abbreviation joins nothing
    assert [s.text for s in spans("Er wurde MVP der Saison.", Expected.PERSON, "Wer?")] == ["MVP"]


def test_a_count_may_have_one_adjective_before_its_noun():
    found = spans("Die Stadt will zwölf zusätzliche Blitzer aufstellen.", Expected.NUMBER, "Wie viele?")
    assert [s.text for s in found] == ["zwölf zusätzliche Blitzer"]
    # an article is no adjective, and a rank counts nothing
    assert spans("Drei der Kinder blieben.", Expected.NUMBER, "Wie viele?") == []
    assert spans("Gegen die auf Platz sechs stehenden Mainzer.", Expected.NUMBER, "Wie viele?") == []


def test_a_reason_runs_over_an_enumeration():
    sentence = "Als Gründe nannte der Verband höhere Löhne, teurere Energie und gestiegene Preise für Butter."
    found = [s.text for s in spans(sentence, Expected.REASON, "Warum?")]
    assert found == ["Gründe nannte der Verband höhere Löhne, teurere Energie und gestiegene Preise für Butter"]
    # a new clause after the comma is no item of it
    assert [s.text for s in spans("Weil die Preise stiegen, sagte er und ging.", Expected.REASON, "Warum?")] == [
        "Weil die Preise stiegen"
    ]


@pytest.mark.parametrize(
    ("follow_up", "names"),
    [
        ("Und in Berlin?", ["Berlin"]),
        ("and at Siemens?", ["Siemens"]),
        ("Und in Baden-Württemberg?", ["Baden-Württemberg"]),
        ("Und im November?", []),  # a time
        ("and in January?", []),
        ("Und nach Angaben der Polizei?", []),  # a set phrase
        ("Und für Studenten?", []),  # a group, not a name
        ("Wie viele Zuschauer waren da?", []),
        ("Und in Berlin_Mitte?", ["Berlin"]),  # no Markdown to echo
    ],
)
def test_the_name_a_follow_up_asks_about(follow_up, names):
    from absatz.question_types import named_subjects

    assert named_subjects(follow_up) == names


@pytest.mark.parametrize(
    ("message", "things"),
    [
        ("Was kostet ein Kaffee?", ["Kaffee"]),
        ("was kostet eigentlich ein Kilo Bananen", ["Kilo"]),
        ("Wann ist Ostern?", ["Ostern"]),
        ("Wer hat die Mona Lisa gemalt?", []),  # a definite article points to what is known
        ("Wo genau wurde der Läufer angegriffen?", []),
        ("Wer ist zur Konkurrenz geworden?", []),  # "zur" = "zu der"
        ("Aus welchem Land kommen die Nutzer?", []),  # asks for one
        ("Wie viele Stellen will er streichen?", []),  # counts them
        ("Wie hoch ist ihre neue Prämie?", []),  # an adjective between
        ("Können Sie mir sagen, wie viele Euro das sind?", []),
        ("Was passiert im Sommer?", []),  # a time
        ("Kaffee oder Tee?", ["Tee"]),  # not the first word: every first word is capitalised
    ],
)
def test_the_things_a_message_names_as_new(message, things):
    from absatz.question_types import new_things

    assert new_things(message) == things


@pytest.mark.parametrize(
    "question, noun",
    [
        ("In welchem Hotel findet das Treffen statt?", "Hotel"),
        ("In welchem neuen Stadion spielt Rapid?", "Stadion"),
        # any place answers these: a name, not a noun, is bold
        ("In welcher Stadt kamen die Flüchtlinge an?", None),
        ("In welchem Land wird das Handy präsentiert?", None),
        ("Wo spielt Rapid?", None),
        # a time is no kind of place
        ("In welchem Monat endet die Frist?", None),
    ],
)
def test_the_kind_of_place_a_question_asks_for(question, noun):
    from absatz.question_types import asked_place_noun

    assert asked_place_noun(question) == noun


@pytest.mark.parametrize(
    "question, role",
    [
        ("Welcher Energiekonzern hat den Auftrag bekommen?", "Energiekonzern"),
        # an English question asks for the German noun news introduces the name with
        ("Which German poet was descended from Huguenots?", "Dichter"),
        ("Which Austrian chancellors resigned?", "Kanzler"),
        ("Which parties voted against?", "Partei"),
        # not where the word asks for no person, or for another one
        ("Which general election did the party win?", None),
        ("Which party leader resigned?", None),
        ("Which police union official warned about it?", None),
        ("Which king's daughter married?", None),
        ("Which king’s daughter married?", None),
        ("Which party leaders resigned?", None),
    ],
)
def test_the_kind_of_person_a_question_asks_for(question, role):
    from absatz.question_types import asked_role

    assert asked_role(question) == role
