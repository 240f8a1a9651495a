"""Articles on the same subject, for following a developing story (``/article``).

An article's vector is the normalised mean of its passage vectors (stored with the
article in the read index: :meth:`VectorIndex.article_similarities`). Any two news
articles look somewhat alike, so a neighbour counts only if it stands out from this
article's background of neighbours — robustly, as the abstention threshold does
(:func:`~vectorstore.evidence.threshold_from`) — whatever the embedder's similarity scale.
"""

from __future__ import annotations

import numpy as np

from .errors import UnknownCitation
from .evidence import threshold_from
from .readindex import ReadIndex
from .records import ArticleSummary

# Neighbours looked at (the article itself among them); the background is judged on them.
RELATED_POOL = 30
# Fewer other articles than this are no background to stand out from.
MIN_BACKGROUND = 4


def related(index: ReadIndex, article_id: str, k: int = 5) -> list[ArticleSummary]:
    """Up to ``k`` articles on the same subject as ``article_id``, newest first."""
    vectors = index.vectors
    row = vectors.article_row(article_id)
    if row is None:
        raise UnknownCitation(article_id)
    sims = vectors.article_similarities(row)
    n = min(RELATED_POOL, int(np.isfinite(sims).sum()))
    nearest = np.argpartition(-sims, n - 1)[:n]
    nearest = nearest[np.argsort(-sims[nearest], kind="stable")]
    others = [(int(a), float(sims[a])) for a in nearest if a != row]
    if len(others) < MIN_BACKGROUND:
        return []
    cut = threshold_from([sim for _, sim in others])
    found = [index.article(vectors.article_ids[a]) for a, sim in others if sim >= cut][:k]
    return sorted(found, key=lambda a: a.date, reverse=True)
