"""Reads for the review pages: reference strips, filter menus, admin batches, conflicts, votes."""

from django.conf import settings
from django.db.models import Q, QuerySet

from identities.models import Face, FaceAssessment, Identity, ReviewLease, ReviewVote, SourceImage
from identities.review_services import BATCH_SIZE
from identities.selectors import identity_search

REFERENCE_FACES = 12


def review_reference_face_ids(identity: Identity) -> list[int]:
    """The identity's latest approved faces, the strip a reviewer compares crops with."""
    approved = identity.faces.filter(status=Face.Status.APPROVED).order_by("-pk")
    return list(approved.values_list("pk", flat=True)[:REFERENCE_FACES])


def _served_to(reviewer) -> Q:
    """Faces a batch served to the reviewer: leased to them now or lately, or voted on by them."""
    return Q(leases__reviewer=reviewer) | Q(votes__reviewer=reviewer)


def review_face_visible(reviewer, face: Face) -> bool:
    """Whether a reviewer's pages show this crop: a face of their batches or their votes, or
    a reference face of an identity whose crops they hold."""
    if Face.objects.filter(_served_to(reviewer), pk=face.pk).exists():
        return True
    holds_identity = ReviewLease.objects.filter(
        reviewer=reviewer, face__identity_id=face.identity_id, face__status=Face.Status.PENDING
    ).exists()
    return holds_identity and face.pk in review_reference_face_ids(face.identity)


def review_source_visible(reviewer, source_image: SourceImage) -> bool:
    """Whether a reviewer's pages show this source photo: one of its faces was served to them."""
    return Face.objects.filter(_served_to(reviewer), source_image=source_image).exists()


def review_identity_search(text: str, *, limit: int = 10) -> list[Identity]:
    """Identities with crops to review whose name contains the text (any case), for the
    queue's filter picker: names that start with it first, then the rest, each A to Z.

    Aliases are not searched: they are admins' notes, and an answer matched on one would
    hint at it. Archived identities are left out, as the queue's old filter menu left them.
    """
    return identity_search(
        text, names_only=True, among=Identity.objects.filter(pending_count__gt=0), limit=limit
    )


def review_detectors() -> list[str]:
    return list(Face.objects.order_by("detector").values_list("detector", flat=True).distinct())


def identity_review_batch(
    identity: Identity, *, after_id: int = 0, exclude_face_ids=(), size: int = BATCH_SIZE
) -> list[Face]:
    """An admin's next page of an identity's pending faces, with their vote counts, no leases."""
    faces = identity.faces.pending().filter(pk__gt=after_id).exclude(pk__in=list(exclude_face_ids))
    return list(
        faces.select_related("source_image", "assessment__lookalike")
        .defer("assessment__vector")
        .order_by("pk")[:size]
    )


def review_conflicts(show: str = "open") -> QuerySet[Face]:
    """Faces with votes on both sides: still open, settled, or all; newest first."""
    faces = Face.objects.disputed()
    if show == "open":
        faces = faces.pending()
    elif show == "settled":
        faces = faces.exclude(status=Face.Status.PENDING)
    return faces.select_related("identity", "source_image").order_by("-pk")


def review_votes_attach(faces: list[Face]) -> list[Face]:
    """Give each face `vote_list`, its votes with their reviewers, in one query, and
    `suggested_reason`: its own reason, else the first reason a reviewer rejected it for."""
    votes_by_face: dict[int, list[ReviewVote]] = {face.pk: [] for face in faces}
    for vote in ReviewVote.objects.filter(face__in=faces).select_related("reviewer").order_by("created_at"):
        votes_by_face[vote.face_id].append(vote)
    for face in faces:
        face.vote_list = votes_by_face[face.pk]
        vote_reasons = [vote.reason for vote in face.vote_list if vote.reason]
        face.suggested_reason = face.reason or next(iter(vote_reasons), "")
    return faces


def reviewer_votes(reviewer) -> QuerySet[ReviewVote]:
    votes = ReviewVote.objects.filter(reviewer=reviewer).select_related("face__identity")
    return votes.order_by("-created_at", "-pk")


def review_assist_attach(faces: list[Face], *, mode: str) -> dict | None:
    """Give each face `assist`: its assessment when the page may show it (assistance on,
    the face scored, and no blind check), else None. Returns the bars its bands were cut
    with, for the page's legend (None when no face shows one). The faces must have been
    loaded with their assessment (select_related), so this costs no query.
    """
    bars = None
    for face in faces:
        assessment = getattr(face, "assessment", None)
        face.assist = assessment if mode != "off" and assessment and assessment.shown_band else None
        if face.assist and bars is None:
            bars = {
                "likely": assessment.likely_bar,
                "other": assessment.other_bar,
                "lookalike": assessment.lookalike_bar,
                "rule": review_assist_rule(assessment),
            }
    return bars


def review_assist_rule(assessment: FaceAssessment) -> str:
    """The bars a crop's band was cut with, and where each comes from, in plain words
    (recognition.gallery.assist.AssistBars.derive)."""
    far = f"{100 * settings.FACESITE_OPEN_SET_FAR:g}%"
    return (
        f"Likely this person: at least {assessment.likely_bar:.2f} to the identity's core, a score a "
        f"stranger's photo reaches against one person at most {far} of the time (the embedder's "
        "impostor model; never below the 1:1 threshold), and no other identity claims it. "
        f"Likely another person: below {assessment.other_bar:.2f}, the 1:1 threshold under which two "
        "faces are judged different people; a second face of the same photo; or claimed by another "
        f"identity whose core scores at least {assessment.lookalike_bar:.2f}, which a stranger's best "
        f"match among all the identities compared reaches at most {far} of the time, and more than "
        "its own. Likely not a face: too small, blurred or a weak detection. Needs a look: the rest."
    )
