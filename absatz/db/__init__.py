"""The bot's own SQLite records (``BOT_DB``): the audit log, answers and votes.

Chroma holds the corpus; these hold what people did with it.
"""
