"""The bot's own SQLite records (``BOT_DB``): the audit log, answers and votes.

Chroma holds the corpus; these hold what people did with it. Each store opens the file
through :func:`vectorstore.sqlite.open_db`, as the feed registry does.
"""
