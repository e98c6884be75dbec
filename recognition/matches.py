from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    """One candidate identity for a face; lists of them are ordered best first."""

    identity_id: int | None
    name: str
    # Cosine similarity for a gallery match, softmax probability for a trained model's.
    score: float
