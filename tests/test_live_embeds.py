"""Announcements, follow DMs, the feed list and linked citations keep Discord's limits
for the worst inputs; 40 articles with realistic URLs are at most two messages."""

from __future__ import annotations

import discord

from absatz.answer import Answer, Citation
from absatz.db.follows import Follow
from absatz.follows import FollowMatch
from absatz.live import Feed, LiveArticle
from bot.embeds import answer_embed, citation_id_from_field, source_link
from bot.live_embeds import announcement_messages, feed_list_embeds, follow_messages

LONG = "Die Stadtwerke wollen ihr Fernwärmenetz bis 2030 mehr als verdoppeln und investieren dafür viel Geld. " * 40


def message_ok(embeds: list[discord.Embed]) -> None:
    assert 1 <= len(embeds) <= 10
    assert sum(len(e) for e in embeds) <= 6000
    for e in embeds:
        assert len(e.title or "") <= 256 and len(e.description or "") <= 4096 and len(e.fields) <= 25
        assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in e.fields)
        assert len(e.footer.text or "") <= 2048


def article(i: int, url_chars: int = 100, title: str = "", lead: str = LONG) -> LiveArticle:
    path = f"/nachrichten/{i}-" + "x" * max(0, url_chars - 40)
    return LiveArticle(
        f"site-{i:04d}abcdef",
        title or f"Titel Nummer {i}: " + "Wort " * 60,
        f"https://www.example-zeitung.de{path}"[:url_chars],
        "2025-06-12",
        "Beispiel-Zeitung " * 5,
        lead,
    )


def announced(articles: list[LiveArticle], language: str) -> tuple[list[list[discord.Embed]], str]:
    """The announcement's messages, each checked against Discord's limits, and their text."""
    messages = announcement_messages(articles, language)
    for embeds in messages:
        message_ok(embeds)
    return messages, "\n".join(e.description for m in messages for e in m)


def test_forty_articles_with_realistic_urls_are_two_messages_within_the_limits():
    articles = [article(i) for i in range(40)]
    messages, text = announced(articles, "de")
    assert len(messages) == 2
    assert all(f"`{a.first_citation}`" in text and f"]({a.url})" in text for a in articles)
    assert [m[0].title for m in messages] == ["Neu im Korpus (1/2)", "Neu im Korpus (2/2)"]


def test_a_few_articles_keep_their_lead_and_one_message():
    (embeds,) = announcement_messages([article(1, lead="Kurz und knapp."), article(2)], "en")
    message_ok(embeds)
    assert embeds[0].title == "New in the corpus" and "Kurz und knapp." in embeds[0].description


def test_worst_inputs_still_keep_every_limit_and_every_article():
    odd = [article(i, url_chars=400, title="[*_`|] " * 100) for i in range(35)]
    odd.append(LiveArticle("no-url", "Ohne Adresse **fett**", "", "", "", "Lead"))
    _, text = announced(odd, "de")
    assert all(f"`{a.first_citation}`" in text for a in odd)
    assert "Ohne Adresse \\*\\*fett\\*\\*" in text  # Markdown in titles is shown, not applied


def test_source_links_are_safe_markdown():
    assert (
        source_link("Titel [mit] Klammern", "https://ex.de/a (b)") == "[Titel mit Klammern](https://ex.de/a%20%28b%29)"
    )
    assert source_link("T", "javascript:alert(1)") == "" and source_link("T", "") == ""


def test_follow_dms_keep_the_limits():
    follow = Follow(1, 42, "Fernwärmenetz " * 25, "de", 0.0)
    matches = [
        FollowMatch(
            follow,
            f"a{i}#2",
            f"a{i}",
            2,
            "Titel " * 80,
            "https://ex.de/" + "y" * 300,
            "2025-03-14",
            "Quelle",
            "Zwischentitel " * 40,
            LONG,
            LONG,
            0.3,
            0.14,
        )
        for i in range(23)
    ]
    messages = follow_messages(matches, "de")
    for embeds in messages:
        message_ok(embeds)
    first = messages[0][0]
    assert first.url.startswith("https://ex.de/") and "`a0#2`" in first.description
    # a burst is not sent one by one: the first ten, then a count of the rest
    sent = [e for m in messages for e in m]
    assert [f"`a{i}#2`" in e.description for i, e in enumerate(sent[:10])] == [True] * 10
    assert len(sent) == 11 and sent[-1].description.startswith("… und 13 weitere neue Artikel zu deinen Follows")


def test_a_follow_dm_shows_the_query_as_typed():
    """The DM's title put the follower's query in as Markdown ("**dringend**" bold, a
    spoiler hidden) and title and footer kept an open U+202E that turned them around."""
    follow = Follow(1, 42, "Wärmenetz **dringend** ||x|| [Konto](https://evil.example) \u202eEnde", "de", 0.0)
    match = FollowMatch(follow, "a#2", "a", 2, "Titel", "", "2025-03-14", "Quelle", "", "Satz.", "Satz.", 0.3, 0.14)
    ((embed,),) = follow_messages([match], "de")
    assert embed.title == "Neu zu „Wärmenetz \\*\\*dringend\\*\\* \\|\\|x\\|\\| Konto Ende“"
    assert (
        "\u202e" not in embed.footer.text and "Wärmenetz **dringend** ||x||" in embed.footer.text
    )  # no Markdown there


def test_a_bulk_ingest_lists_sixty_articles_and_counts_the_rest():
    articles = [article(i) for i in range(500)]
    messages, text = announced(articles, "en")
    assert len(messages) == 3
    assert [f"`{a.first_citation}`" in text for a in articles] == [True] * 60 + [False] * 440
    assert [m[0].title for m in messages] == [
        f"New in the corpus: 500 articles, the first 60 listed ({part}/3)" for part in (1, 2, 3)
    ]


def test_feed_list_of_many_feeds_fits_one_message():
    feeds = [
        Feed(
            f"https://feeds.example.org/{i}/" + "z" * 150,
            900,
            "Kategorie " * 10,
            last_success=1.7e9,
            last_error="HTTP 500 " * 40,
            last_error_at=1.7e9,
            failures=3,
            next_poll=1.7e9,
            articles_ingested=i,
        )
        for i in range(300)
    ]
    embeds = feed_list_embeds(feeds, "de")
    message_ok(embeds)
    assert embeds[0].title == "Feeds (300)" and embeds[-1].footer.text.startswith("… +")
    assert feed_list_embeds([], "en")[0].description.startswith("No feeds registered")


def test_citations_link_to_their_source_and_keep_their_id():
    def citation(n: int, url: str) -> Citation:
        return Citation(
            n, f"artikel-{n}#3", f"artikel-{n}", 3, "Titel " * 20, "2024-05", "", "", "", LONG, LONG, 0.9, url=url
        )

    cited = [citation(n, "https://www.example-zeitung.de/" + "p" * (50 * n)) for n in range(1, 11)]
    embed = answer_embed(Answer("Frage?", " ".join(f"Satz {n}. [{n}]" for n in range(1, 11)), False, cited, "de"), 0.1)
    assert len(embed) <= 6000 and all(len(f.value) <= 1024 for f in embed.fields)
    assert "](https://www.example-zeitung.de/" in embed.fields[0].value  # a short URL fits beside the quote
    assert all(citation_id_from_field(embed, n) == f"artikel-{n}#3" for n in range(1, 11))
    assert Citation(1, "a#1", "a", 1, "T", "", "", "", "", "q", "q", 0.5).url == ""  # articles without a URL
