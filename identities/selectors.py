"""Reads of identities, faces and audit events that more than one page uses."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Lower

from identities.models import AuditEvent, Face, Identity, SourceImage

IDENTITY_FILTERS = {
    "active": "Active",
    "archived": "Archived",
    "ready": "Ready for training",
    "all": "All",
}

# Sort key -> the column it orders by; a leading "-" on the key reverses it.
IDENTITY_SORTS = {
    "name": Lower("name"),
    "approved": "approved_count",
    "pending": "pending_count",
    "rejected": "rejected_count",
    "created": "created_at",
}


def readiness_thresholds() -> dict[str, int]:
    """The training thresholds, for the progress bars: its marker sits at the minimum."""
    minimum, target = settings.FACESITE_MIN_APPROVED_FACES, settings.FACESITE_TARGET_APPROVED_FACES
    return {"minimum": minimum, "target": target, "minimum_percent": min(100, round(100 * minimum / target))}


def identity_list(*, search: str = "", show: str = "active", sort: str = "name") -> QuerySet[Identity]:
    """Identities matching a search of names and aliases, a filter and a sort.

    Every value the list shows comes from the identity row, its stored face counts
    included, so a page costs the same few queries at any data size; thumbnails come
    from identity_thumbnails_attach() for the page's rows only.
    """
    # Notes can be long and the list never shows them.
    identities = Identity.objects.defer("notes")
    if show == "active":
        identities = identities.active()
    elif show == "archived":
        identities = identities.filter(archived=True)
    elif show == "ready":
        identities = identities.ready_for_training()
    search = search.strip()
    if search:
        identities = identities.filter(Q(name__icontains=search) | Q(aliases__icontains=search))
    column = IDENTITY_SORTS[sort.removeprefix("-")]
    expression = F(column) if isinstance(column, str) else column
    ordering = expression.desc() if sort.startswith("-") else expression.asc()
    return identities.order_by(ordering, Lower("name"), "pk")


def _first_face_id(status: str) -> Subquery:
    # Served by the (identity, status, id) index: one index lookup per identity.
    faces = Face.objects.filter(identity=OuterRef("pk"), status=status).order_by("id")
    return Subquery(faces.values("id")[:1])


def identity_thumbnails_attach(identities: list[Identity]) -> list[Identity]:
    """Give each identity `thumbnail_face_id`: an approved face, else a pending, else a rejected one.

    One query for the whole page. As an annotation on the paged query instead, the
    database would also work out thumbnails for every row an OFFSET skips.
    """
    thumbnails = dict(
        Identity.objects.filter(pk__in=[identity.pk for identity in identities])
        .annotate(
            thumbnail_face_id=Coalesce(
                _first_face_id(Face.Status.APPROVED),
                _first_face_id(Face.Status.PENDING),
                _first_face_id(Face.Status.REJECTED),
            )
        )
        .values_list("pk", "thumbnail_face_id")
    )
    for identity in identities:
        identity.thumbnail_face_id = thumbnails.get(identity.pk)
    return identities


def identity_faces(identity: Identity, status: str) -> QuerySet[Face]:
    return identity.faces.filter(status=status).select_related("source_image").order_by("-id")


def identity_failed_source_images(identity: Identity) -> QuerySet[SourceImage]:
    failed = [SourceImage.Status.INVALID, SourceImage.Status.NO_FACE]
    return identity.source_images.filter(status__in=failed).order_by("-created_at", "-id")


def identity_delete_summary(identity: Identity) -> dict[str, int]:
    """What deleting the identity takes with it, counted from the rows themselves."""
    return {
        "source_images": identity.source_images.count(),
        "faces": identity.faces.count(),
    }


def identity_merge_summary(*, source: Identity, target: Identity) -> dict[str, int]:
    """What merging `source` into `target` moves, and how many photos both already have."""
    shared_photos = SourceImage.objects.filter(
        identity=source, sha256__in=SourceImage.objects.filter(identity=target).values("sha256")
    ).count()
    return {
        "faces": source.face_count,
        "source_images": source.source_images.count(),
        "shared_photos": shared_photos,
    }


def identity_suggestions(text: str, *, exclude: Identity, limit: int = 10) -> list[Identity]:
    """Identities whose name or aliases contain the text, for a "did you mean" list."""
    matches = Identity.objects.exclude(pk=exclude.pk).filter(
        Q(name__icontains=text.strip()) | Q(aliases__icontains=text.strip())
    )
    return list(matches.order_by(Lower("name"))[:limit])


# Answers the picker asks for at most, and the length of text it searches for.
IDENTITY_SEARCH_MAX = 50
IDENTITY_SEARCH_TEXT_MAX = 200


def identity_search(
    text: str,
    *,
    include_archived: bool = False,
    names_only: bool = False,
    among: QuerySet | None = None,
    limit: int = 10,
) -> list[Identity]:
    """Identities whose name or an alias contains the text (any case), for a picker:
    names that start with it first, then aliases that do, then the rest, each A to Z.

    Archived identities are left out unless asked for; `among` narrows the search to a
    queryset of identities. With names_only, aliases are neither searched nor ranked by.
    Each gets `matched_alias`: the alias that matched when the name did not, so the picker
    can say why it is listed.
    """
    text = text.strip()[:IDENTITY_SEARCH_TEXT_MAX]
    if not text:
        return []
    matches = Q(name__icontains=text) if names_only else Q(name__icontains=text) | Q(aliases__icontains=text)
    identities = (Identity.objects.all() if among is None else among).defer("notes").filter(matches)
    if not include_archived:
        identities = identities.active()
    alias_prefix = Q(aliases__istartswith=text) | Q(aliases__icontains=f"\n{text}")
    ranks = [When(name__istartswith=text, then=Value(0))]
    if not names_only:
        ranks.append(When(alias_prefix, then=Value(1)))
    rank = Case(*ranks, default=Value(2), output_field=IntegerField())
    found = list(identities.order_by(rank, Lower("name"), "pk")[: max(1, min(limit, IDENTITY_SEARCH_MAX))])
    folded = text.casefold()
    for identity in found:
        identity.matched_alias = (
            ""
            if folded in identity.name.casefold()
            else next((alias for alias in identity.alias_list() if folded in alias.casefold()), "")
        )
    return found


def overview_totals() -> dict[str, int]:
    """Counts for the overview, from the stored face counts: two queries at any data size."""
    totals = Identity.objects.aggregate(
        identities=Count("id"),
        archived_identities=Count("id", filter=Q(archived=True)),
        ready_identities=Count(
            "id", filter=Q(archived=False, approved_count__gte=settings.FACESITE_MIN_APPROVED_FACES)
        ),
        pending_faces=Coalesce(Sum("pending_count"), 0),
        approved_faces=Coalesce(Sum("approved_count"), 0),
        rejected_faces=Coalesce(Sum("rejected_count"), 0),
    )
    source_images = SourceImage.objects.aggregate(
        source_images=Count("id"),
        failed_source_images=Count("id", filter=~Q(status=SourceImage.Status.FACES)),
    )
    return {**totals, **source_images}


def identities_ready(limit: int = 10) -> list[Identity]:
    return list(Identity.objects.ready_for_training().order_by("-approved_count", Lower("name"))[:limit])


def audit_events(*, action: str = "", actor_id: int | None = None) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if action:
        events = events.filter(action=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    return events


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def audit_actors() -> QuerySet:
    """The users who appear in the audit log, for its actor filter."""
    actor_ids = AuditEvent.objects.filter(actor__isnull=False).values("actor_id")
    return get_user_model().objects.filter(pk__in=actor_ids).order_by("username")


def _audit_value_display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_audit_value_display(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def audit_events_prepare(events: list[AuditEvent]) -> list[AuditEvent]:
    """Give each event `target_url` (None once its target is gone) and `changes` to show,
    and name a face that still exists by its identity's name.

    A face's recorded label names its identity by id ("Face 13 of 1"), since recording
    it must not cost a query per vote; the page names the person. One query per kind of
    target on the page, whatever the number of events.
    """
    ids_by_type: dict[str, set[int]] = {}
    for event in events:
        ids_by_type.setdefault(event.target_type, set()).add(event.target_id)
    targets = {}
    for target_type, target_ids in ids_by_type.items():
        try:
            model = apps.get_model(target_type)
        except (LookupError, ValueError):
            continue
        if not hasattr(model, "get_absolute_url"):
            continue
        found = model._default_manager.filter(pk__in=target_ids)
        if model is Face:
            found = found.select_related("identity")
        for target in found:
            targets[(target_type, target.pk)] = target
    for event in events:
        target = targets.get((event.target_type, event.target_id))
        event.target_url = target.get_absolute_url() if target else None
        if isinstance(target, Face):
            event.target_label = target.audit_label
        before, after = event.before or {}, event.after or {}
        event.changes = [
            (key, _audit_value_display(before.get(key)), _audit_value_display(after.get(key)))
            for key in dict.fromkeys([*before, *after])
        ]
    return events
