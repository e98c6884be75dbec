"""FaceAssessment rows as review assistance's job would write them, for queue and page tests."""

from django.utils import timezone

from identities.models import Face, FaceAssessment, Identity


def assess(
    face: Face,
    band: str,
    *,
    score: float = 0.5,
    blind: bool = False,
    lookalike: Identity | None = None,
    lookalike_score: float = 0.62,
) -> FaceAssessment:
    shown_rank = FaceAssessment.BAND_RANKS[FaceAssessment.Band.LOOK if blind else band]
    return FaceAssessment.objects.create(
        face=face,
        embedder="facenet",
        vector=b"",
        band=band,
        rank=shown_rank,
        core_score=score,
        core_source="cluster",
        lookalike=lookalike,
        lookalike_score=None if lookalike is None else lookalike_score,
        size=64,
        sharpness=100.0,
        blind_check=blind,
        likely_bar=0.45,
        other_bar=0.30,
        lookalike_bar=0.58,
        computed_at=timezone.now(),
    )
