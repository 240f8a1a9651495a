"""absatz's reading side: answers, rendering, the CLI and the Discord bot."""


def create_bot(settings, searcher=None):
    """See :func:`bot.app.create_bot` (imported lazily: the CLI needs no discord.py)."""
    from .app import create_bot as _create

    return _create(settings, searcher)
