"""Which messages are about the bot, and which point back to the conversation."""

from __future__ import annotations

import pytest

from absatz.small_talk import asks_about_me, asks_about_now, has_pronoun, points_back, points_back_by_article


@pytest.mark.parametrize(
    ("message", "about_me"),
    [
        ("Wer bist du eigentlich?", True),
        ("Wie geht's dir?", True),
        ("was kannst du alles", True),
        ("Kannst du mir helfen?", True),
        ("How old are you?", True),
        ("what can you do", True),
        ("Weißt du, wer gewonnen hat?", False),  # a question of its own
        ("Was weißt du über Ibrahimovic?", False),  # a name
        ("Kannst du mir mehr dazu sagen?", False),  # more of the conversation
        ("Can you tell me more?", False),
        ("how do you fall asleep faster", False),  # "you" as anyone
        ("Wie alt ist er?", False),
    ],
)
def test_what_asks_about_the_bot(message, about_me):
    assert asks_about_me(message) is about_me


@pytest.mark.parametrize(
    ("message", "back"),
    [
        ("Wie alt ist er?", True),
        ("aus welchen konzernen ist die firma entstanden?", True),  # the firm already spoken of
        ("Wie viel dürfte man dann daheim haben?", True),
        ("gegen wen wars?", True),  # "war es"
        ("Who is in charge of the project there?", True),
        ("Warum gähnt man eigentlich?", False),
        ("Welches Tier schläft am längsten?", False),  # a superlative, no "an dem"
        ("How fast is a cheetah?", False),
        ("What's 17 times 23?", False),  # "what is"
        ("Wie viel Uhr ist es?", False),  # the time's "es"
        ("Um wie viel Uhr ist es passiert?", True),  # "es": what happened
    ],
)
def test_what_points_back_to_the_conversation(message, back):
    assert points_back(message) is back


@pytest.mark.parametrize(
    ("message", "by_article"),
    [
        ("wer hat eigentlich das telefon erfunden", True),
        ("Wer war der erste Mensch auf dem Mond?", True),
        ("wann war nochmal die französische revolution", True),
        ("aus welchen konzernen ist die firma entstanden?", True),  # the paragraph decides
        ("Wie viel kostet es im Laden?", False),  # "es"
        ("In welchem Zeitraum lief das?", False),  # "das" stands alone
        ("wie alt ist der eigentlich mittlerweile?", False),  # before an adverb
        ("wann spielen die das nächste mal daheim", False),  # before another article
        ("Was kostet das in Berlin?", False),  # before a preposition
        ("kommt der zur wm", False),  # before a contraction
        ("wer hat das gesagt", False),  # before a participle at the end
        ("wann ist der zurückgetreten", False),
        ("ist das legal", False),  # before a predicative adjective
        ("Der hat doch gewonnen oder?", False),  # before a verb
        ("wie lange muss der sitzen", False),  # before an infinitive after a modal
        ("wer leitet den eigentlch", False),  # a typo of a listed adverb
        ("wie hoch ist der eiffelturm", True),
        ("wer ist der aktuelle papst", True),  # an ending added, no typo
        ("wer kann das telefon reparieren", True),  # no infinitive right after it
        ("Was kostet diese Wohnung?", False),  # a demonstrative
        ("was fressen die kleinen pandas", True),  # "kleinen" is no typo of "keinen"
        ("wann war der überfall auf pearl harbor", True),  # nor "überfall" of "überall"
    ],
)
def test_what_points_back_only_with_an_article_before_what_it_names(message, by_article):
    assert points_back_by_article(message) is by_article


@pytest.mark.parametrize(
    ("message", "pronoun"),
    [
        ("Warum sind Umweltschützer dagegen?", True),
        ("Wieso war dort ein finanzieller Neuanfang nötig?", True),
        ("Why was a fresh start needed there?", True),
        ("was ist der Unterschied zwischen Latte und Cappuccino", False),  # an article, no pronoun
        ("Was kostet ein Kaffee?", False),
        ("Welches Bundesland hat es am schlimmsten erwischt?", True),
        ("wie spät ist es", False),  # "es" only fills the subject of the time or the weather
        ("regnet es morgen in berlin?", False),
        ("Und regnet es dort?", True),
        ("what time is it in tokyo rn", False),
        ("is it gonna rain tomorrow", False),
        # a possessive pronoun too, but not "sein" or "ihr" alone (a verb, "you")
        ("wie heißt deren stadion?", True),
        ("und woher stammen seine eltern?", True),
        ("what's their stadium called?", True),
        ("where are his parents from?", True),
        ("Kann das sein?", False),
        ("Habt ihr schon gegessen?", False),
        ("wer ist sein trainer?", True),
        ("kann das sein oder?", False),
        ("Bis wann sollen die Botschaften zu sein?", False),
        ("Ihre Tochter ist wie alt?", True),
        # … not the formal "your", the river, nor a relative pronoun after a noun
        ("Was ist Ihre Meinung zu Pizza?", False),
        ("wie lang ist die Seine in Paris?", False),
        ("wie heißt das tier dessen horn so teuer ist", False),
    ],
)
def test_what_stands_a_pronoun_for_what_was_said(message, pronoun):
    assert has_pronoun(message) is pronoun


@pytest.mark.parametrize(
    ("message", "about_now"),
    [
        ("wie spät ist es", True),
        ("Wie viel Uhr ist es?", True),
        ("regnet es morgen in berlin?", True),
        ("what time is it in tokyo rn", True),
        ("is it gonna rain tomorrow", True),
        ("wie wird morgen das wetter in münchen", True),  # the weather's article
        ("whats the weather gonna be like in munich tomorrow", True),
        ("Wie war das Wetter beim Spiel?", False),  # at the conversation's match
        ("what will the weather be like at the match", False),
        ("Und regnet es dort?", False),  # there: where the conversation was
        ("Um wie viel Uhr ist es passiert?", False),  # "es": what happened
        ("Um wie viel Uhr ist es denn passiert?", False),
        ("Wie spät ist es, wenn das Spiel beginnt?", False),  # the conversation's match
        ("Regnet es beim Spiel?", False),
        ("what time is it when the match starts?", False),
        ("Wann wurde das Finale gespielt?", False),
        # today's day or date is asked as the time is
        ("what day of the week is it today?", True),
        ("what's the date today", True),
        ("Welcher Wochentag ist heute eigentlich?", True),
        ("welches datum haben wir heute", True),
        ("der wievielte ist heute?", True),
        ("whats the date today", True),
        ("what day is today", True),
        ("was ist heute für ein tag", True),
        ("welcher tag ist heut", True),
        # … but not a day asked of what was said, nor an appointment
        ("what day is it on?", False),
        ("on what day is it?", False),
        ("what date is it held?", False),
        ("welchen tag haben wir ausgemacht", False),
        ("What day is it when the final is played?", False),  # the conversation's final
        ("What's the date of the final?", False),
        ("An welchem Tag ist es passiert?", False),
        ("Welcher Tag war das?", False),
    ],
)
def test_what_asks_the_time_or_the_weather(message, about_now):
    assert asks_about_now(message) is about_now
