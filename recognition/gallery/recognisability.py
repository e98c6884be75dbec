"""How recognisable an identity is from the gallery alone: each of its approved faces is
taken out in turn and identified against the rest of the gallery, as an upload of that
photo would be, with warnings a user can act on.

The figure is optimistic for photos of a new occasion (the gallery's photos of a person
are often from a few shoots) and says nothing about strangers; it does say when a person
has too few photos to be named reliably, photos too alike to say, or photos that the
gallery names as someone else.
"""

from dataclasses import dataclass

import numpy as np

from identities.models import Face, Identity
from recognition.gallery.cache import gallery_matrix
from recognition.gallery.index import GalleryMatrix, identity_scores, own_core_scores
from recognition.gallery.policy import gallery_search_embedder
from recognition.gallery.search import LiveNames
from recognition.gallery.thresholds import gallery_threshold
from recognition.models import FaceEmbedding, ModelVersion

# Approved faces recommended per identity. With one face the figure cannot be measured
# (a face needs another of its person to be named by); with two to four, each face
# taken out leaves one to three, so one odd photo (profile, sunglasses) moves the figure
# by a quarter or more and a new photo of the person has few chances to match.
RECOMMENDED_FACES = 5

# Median pairwise cosine similarity among an identity's faces from which they are
# called too alike (near-duplicates: one shoot, one video, re-encoded copies). On the
# CelebA subset (benchmarks/recognisability.py, FaceNet, 81 people of 10-30 photos from
# different occasions) each person's median was 0.67 typically and 0.82 at most, while
# the same photo re-encoded and shrunk scored 0.975 with its original (median of 40).
# The median rather than the mean or the maximum: one duplicated pair among ten photos
# is harmless, but when most pairs are near-duplicates each face taken out is named by
# its twin and the figure flatters.
NEAR_DUPLICATE_SIMILARITY = 0.9

# Faces tested at most, an even spread by face id when an identity has more: the page
# computes the figure at request time, and at 100,000 gallery rows 100 faces took 0.2-0.3 s
# on this shared 2-core machine (benchmarks/recognisability.py), 500 faces 0.8-1.9 s.
# Every face stays in the gallery that the sample is identified against.
MAX_TESTED_FACES = 100

# Faces identified at once: a block of 250 faces against 100,000 identities' cores is 100 MB
# of float32 similarities.
BLOCK_FACES = 250


@dataclass(frozen=True)
class LeaveOneOut:
    """What identification answers for each face with that face left out of the gallery."""

    # (faces,) the identity each face is named as, -1 when it is unknown (below the threshold).
    named_identity_ids: np.ndarray
    # (faces,) its best identity score (-inf when the gallery holds nothing else).
    scores: np.ndarray


def leave_one_out(
    matrix: GalleryMatrix, vectors: np.ndarray, own_columns: np.ndarray, threshold: float
) -> LeaveOneOut:
    """Identify each of an identity's faces against the gallery without that face.

    1. Score the faces against every identity's core (identity_scores, per BLOCK_FACES).
    2. A face the matrix holds (own_columns; -1 when it does not) is taken out of its own
       identity's core (own_core_scores), so its other faces and every other identity
       remain.
    3. Name the best identity when it reaches threshold, as identification does; else
       -1, unknown.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    named = np.full(len(vectors), -1, dtype=np.int64)
    best_scores = np.full(len(vectors), -np.inf, dtype=np.float32)
    if not len(matrix.vectors) or not len(vectors):
        return LeaveOneOut(named, best_scores)
    for start in range(0, len(vectors), BLOCK_FACES):
        stop = min(start + BLOCK_FACES, len(vectors))
        scores = identity_scores(matrix, vectors[start:stop])
        columns = own_columns[start:stop]
        held = np.flatnonzero(columns >= 0)
        own_groups = matrix.groups_of(columns[held])
        scores[held, own_groups] = own_core_scores(matrix, vectors[start:stop][held], columns[held])
        best = scores.argmax(axis=1)
        best_scores[start:stop] = scores[np.arange(stop - start), best]
        named[start:stop] = np.where(
            best_scores[start:stop] >= threshold, matrix.group_identity_ids[best], -1
        )
    return LeaveOneOut(named, best_scores)


def own_columns(matrix: GalleryMatrix, face_ids: list[int]) -> np.ndarray:
    """Each face's row in the matrix (-1 when it holds none, say a face embedded since
    this process last read the gallery)."""
    held = np.flatnonzero(np.isin(matrix.face_ids, face_ids))
    rows = dict(zip(matrix.face_ids[held].tolist(), held.tolist(), strict=True))
    return np.array([rows.get(int(face_id), -1) for face_id in face_ids], dtype=np.int64)


def median_similarity(vectors: np.ndarray) -> float | None:
    """The median cosine similarity over all pairs of the vectors (None under two)."""
    if len(vectors) < 2:
        return None
    similarities = vectors @ vectors.T
    return float(np.median(similarities[np.triu_indices(len(vectors), k=1)]))


@dataclass(frozen=True)
class Misnamed:
    """One of the identity's faces that the rest of the gallery names as someone else."""

    face_id: int
    identity_id: int
    name: str
    score: float


@dataclass(frozen=True)
class Recognisability:
    """An identity's leave-one-out figure and the warnings that go with it."""

    faces: int  # approved faces tested: those with a row of the gallery's embedder, or a sample
    embedded: int  # approved faces with a row of the gallery's embedder, sampled or not
    correct: int  # named as this identity with that face left out
    misnamed: list[Misnamed]  # named as another identity
    unknown: int  # scored below the threshold
    threshold: float
    median_similarity: float | None
    unembedded: int  # approved faces the gallery job has not embedded yet (not tested)
    warnings: list[str]

    @property
    def measured(self) -> bool:
        return self.faces >= 2

    @property
    def sampled(self) -> bool:
        return self.faces < self.embedded


def _approved_vectors(identity_id: int, embedder: str) -> tuple[list[int], np.ndarray]:
    """The face ids and rows of the identity's approved faces, read from the database in
    face id order (the in-memory matrix holds them too, in load order; see the note on
    issue 12)."""
    rows = list(
        FaceEmbedding.objects.filter(
            embedder=embedder, face__identity_id=identity_id, face__status=Face.Status.APPROVED
        )
        .order_by("face_id")
        .values_list("face_id", "vector")
    )
    vectors = np.frombuffer(b"".join(bytes(vector) for _, vector in rows), dtype=np.float32)
    return [face_id for face_id, _ in rows], vectors.reshape(len(rows), -1) if rows else vectors.reshape(0, 0)


def identity_recognisability(identity: Identity) -> Recognisability | None:
    """How often the identity's own approved faces are named rightly by the gallery
    without them (leave_one_out), at the threshold and with the embedder uploads use;
    None for an archived identity, which identification does not search.

    1. Read its approved faces' rows of the search embedder (an even sample of
       MAX_TESTED_FACES when it has more); find each one's row in the in-memory
       gallery (own_columns).
    2. leave_one_out: named rightly, named as someone else, or unknown.
    3. Names of the identities named wrongly, read live (LiveNames).
    4. Warnings (recognisability_warnings).
    """
    if identity.archived:
        return None
    embedder = gallery_search_embedder(ModelVersion.objects.active().first()).name
    face_ids, vectors = _approved_vectors(identity.pk, embedder)
    embedded = len(face_ids)
    if embedded > MAX_TESTED_FACES:
        sample = np.unique(np.linspace(0, embedded - 1, MAX_TESTED_FACES).round().astype(int))
        face_ids, vectors = [face_ids[i] for i in sample], vectors[sample]
    matrix = gallery_matrix(embedder)
    threshold = gallery_threshold(embedder)
    outcome = leave_one_out(matrix, vectors, own_columns(matrix, face_ids), threshold)
    wrong = np.flatnonzero((outcome.named_identity_ids >= 0) & (outcome.named_identity_ids != identity.pk))
    names = LiveNames().read([int(outcome.named_identity_ids[i]) for i in wrong])
    misnamed = [
        Misnamed(
            face_ids[i],
            int(outcome.named_identity_ids[i]),
            names.get(int(outcome.named_identity_ids[i]), "someone since removed"),
            float(outcome.scores[i]),
        )
        for i in wrong
    ]
    similarity = median_similarity(vectors)
    figure = Recognisability(
        faces=len(face_ids),
        embedded=embedded,
        correct=int(np.sum(outcome.named_identity_ids == identity.pk)),
        misnamed=misnamed,
        unknown=int(np.sum(outcome.named_identity_ids < 0)),
        threshold=threshold,
        median_similarity=similarity,
        unembedded=identity.faces.filter(status=Face.Status.APPROVED).count() - embedded,
        warnings=[],
    )
    figure.warnings.extend(recognisability_warnings(figure))
    return figure


def recognisability_warnings(figure: Recognisability) -> list[str]:
    """Plain sentences on what would make the figure more trustworthy or better."""
    warnings = []
    if figure.faces < 2:
        warnings.append(
            f"It cannot be measured with {figure.faces} approved face{'s' if figure.faces != 1 else ''}: "
            "a photo is tested against the person's other photos. "
            f"Approve at least {RECOMMENDED_FACES} faces of different photos."
        )
    elif figure.faces < RECOMMENDED_FACES:
        warnings.append(
            f"Only {figure.faces} approved faces: approve at least {RECOMMENDED_FACES} of different photos, "
            "so that one odd photo does not decide whether this person is named."
        )
    if figure.median_similarity is not None and figure.median_similarity >= NEAR_DUPLICATE_SIMILARITY:
        warnings.append(
            f"Its photos are too alike (median similarity {figure.median_similarity:.2f} between two; "
            f"near-duplicates from {NEAR_DUPLICATE_SIMILARITY:.2f}): each is named by a near-copy, "
            "so the figure flatters. Add photos from other occasions: other light, angles, ages."
        )
    if figure.misnamed:
        count = len(figure.misnamed)
        warnings.append(
            f"{count} of its photos {'is' if count == 1 else 'are'} named as someone else: "
            "check each below; a face of another person filed here should be rejected."
        )
    return warnings


def recognisability_panel(identity: Identity) -> dict | None:
    """The identity page's recognisability panel (registered in RecognitionConfig.ready)."""
    figure = identity_recognisability(identity)
    return None if figure is None else {"recognisability": figure}
