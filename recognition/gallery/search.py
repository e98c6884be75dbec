"""Identification: the identities whose approved faces are most like a face."""

from dataclasses import replace

import numpy as np

from identities.models import Identity
from recognition.gallery.cache import EMBEDDER, gallery_matrix
from recognition.gallery.index import GalleryMatrix, identity_scores
from recognition.ml.scores import TOP_K, Match


def gallery_identify(embeddings: np.ndarray, k: int = TOP_K, embedder: str = EMBEDDER) -> list[list[Match]]:
    """For each L2-normalised embedding (of this embedder), the top-k identities, best first."""
    embeddings = np.atleast_2d(np.asarray(embeddings, dtype=np.float32))
    matrix = gallery_matrix(embedder)
    if not len(matrix.vectors) or not len(embeddings):
        return [[] for _ in embeddings]
    scores = identity_scores(matrix, embeddings)
    names = LiveNames()
    return [
        [best_face_attach(matrix, embedding, match) for match in live_top_matches(matrix, row, k, names)]
        for embedding, row in zip(embeddings, scores, strict=True)
    ]


def best_face_attach(matrix: GalleryMatrix, embedding: np.ndarray, match: Match) -> Match:
    """The match with the face of its identity that the embedding is most like."""
    if matrix.face_ids is None:
        return match
    start, stop = (
        np.searchsorted(matrix.identity_ids, match.identity_id, side="left"),
        np.searchsorted(matrix.identity_ids, match.identity_id, side="right"),
    )
    best = start + int(np.argmax(matrix.vectors[start:stop] @ embedding))
    return replace(match, face_id=int(matrix.face_ids[best]))


class LiveNames:
    """Names of identities that exist and are not archived, read as a search needs them.

    Read at search time, not kept with the matrix: a renamed identity shows its new name,
    and one deleted, merged away or archived by another process in the second before
    this process checks its copy again is passed over.
    """

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.looked_up: set[int] = set()

    def read(self, identity_ids: list[int]) -> dict[int, str]:
        missing = set(identity_ids) - self.looked_up
        if missing:
            live = Identity.objects.filter(pk__in=missing, archived=False)
            self.names.update(live.values_list("pk", "name"))
            self.looked_up |= missing
        return self.names


def live_top_matches(matrix: GalleryMatrix, row: np.ndarray, k: int, names: LiveNames) -> list[Match]:
    """The k best-scoring identities of one row of scores, best first, passing over any
    that are gone (scored -inf and the top taken again)."""
    row = row.copy()
    while count := min(k, int(np.isfinite(row).sum())):
        top = np.argpartition(-row, count - 1)[:count]
        top = top[np.argsort(-row[top], kind="stable")]
        identity_ids = [int(matrix.group_identity_ids[i]) for i in top]
        known = names.read(identity_ids)
        gone = [i for i, identity_id in zip(top, identity_ids, strict=True) if identity_id not in known]
        if not gone:
            return [
                Match(identity_id, known[identity_id], float(row[i]))
                for i, identity_id in zip(top, identity_ids, strict=True)
            ]
        row[gone] = -np.inf
    return []
