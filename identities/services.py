"""Workflows that change identities and their faces, each recorded in the audit log."""

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import partial

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Model

from facesite.errors import FacesiteError
from identities.models import AuditEvent, Face, Identity, SourceImage
from identities.review_services import review_override
from identities.signals import faces_changed_on_commit, faces_moved

logger = logging.getLogger(__name__)

# Storage names checked per query, well under SQLite's limit on query parameters.
_REFERENCE_CHECK_BATCH = 500
# (model, field) of other apps' rows that name stored files, e.g. pipeline's dataset
# manifests; each app registers its own in AppConfig.ready(), so identities imports none.
_STORAGE_REFERRERS: list[tuple[type[Model], str]] = []


class IdentityNameTaken(FacesiteError):
    """The name belongs to another identity, kept as `existing` so a page can link to it."""

    def __init__(self, existing: Identity):
        super().__init__(f"An identity named {existing.name!r} already exists.")
        self.existing = existing


class IdentityNamesRefused(FacesiteError):
    """Names of a list that cannot be used, each problem with its line, as `problems`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


# Identities one bulk merge or archive takes: a page of the list, with room to spare.
BULK_IDENTITIES_MAX = 200
# Faces one move or rejection from an identity's page takes: a page of faces, and more.
CURATE_FACES_MAX = 500


@dataclass(frozen=True)
class IdentityMergeReport:
    moved_faces: int
    moved_source_images: int
    duplicate_faces_dropped: int


def identity_name_normalize(name: str) -> str:
    """Trim and collapse white space; folder names use underscores for spaces."""
    return re.sub(r"\s+", " ", name.replace("_", " ")).strip()


def identity_aliases_normalize(aliases: Iterable[str], *, name: str) -> str:
    """Aliases one a line, without blanks, repeats (in any case) or the identity's own name."""
    seen = {name.casefold()}
    kept = []
    for alias in aliases:
        alias = re.sub(r"\s+", " ", alias).strip()
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            kept.append(alias)
    return "\n".join(kept)


def identity_name_clean(name: str) -> str:
    """The normalized name, or FacesiteError if it is blank, too long or holds control characters.

    Nothing here touches the database: it runs before any lookup by name, since a name
    of a megabyte makes SQLite refuse a case-insensitive LIKE ("pattern too complex").
    """
    normalized = identity_name_normalize(name)
    if not normalized:
        if name.strip():
            raise FacesiteError(f"{name.strip()[:40]!r} is no name: underscores count as spaces.")
        raise FacesiteError("A name is required.")
    max_length = Identity._meta.get_field("name").max_length
    if len(normalized) > max_length:
        raise FacesiteError(f"The name {normalized[:40]!r}… is too long (at most {max_length} characters).")
    control = next((character for character in normalized if unicodedata.category(character) == "Cc"), None)
    if control is not None:
        raise FacesiteError(
            f"The name {normalized[:40]!r} holds a control character (U+{ord(control):04X}); "
            "a name is plain text."
        )
    return normalized


def identity_names_clean(lines: list[str]) -> list[str]:
    """The names on the lines that are not blank, or IdentityNamesRefused naming every bad line.

    Callers check a whole list before creating anything, so a bad name on line 9 leaves
    no identities from lines 1-8 behind.
    """
    names, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            names.append(identity_name_clean(line))
        except FacesiteError as error:
            problems.append(f"Line {number}: {error}")
    if problems:
        raise IdentityNamesRefused(problems)
    return names


def _name_taken_error(name: str, *, exclude: Identity | None = None) -> FacesiteError:
    others = Identity.objects.filter(name__iexact=name)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    existing = others.first()
    return IdentityNameTaken(existing) if existing else FacesiteError(f"The name {name!r} is taken.")


def _identity_name_check(name: str, *, exclude: Identity | None = None) -> str:
    """The clean name (identity_name_clean), or FacesiteError if it is unusable or another identity's."""
    name = identity_name_clean(name)
    others = Identity.objects.filter(name__iexact=name)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    existing = others.first()
    if existing:
        raise IdentityNameTaken(existing)
    return name


def _identity_snapshot(identity: Identity) -> dict:
    return {
        "id": identity.pk,
        "name": identity.name,
        "aliases": identity.alias_list(),
        "pending": identity.pending_count,
        "approved": identity.approved_count,
        "rejected": identity.rejected_count,
    }


def _audit_value(field: str, value: str) -> str | list[str]:
    # Aliases are recorded as a list, as the other events record them.
    return value.splitlines() if field == "aliases" else value


def identity_create(*, name: str, actor=None, aliases: str = "", notes: str = "") -> Identity:
    """Create an identity, or raise FacesiteError if the name is blank or taken."""
    name = _identity_name_check(name)
    aliases = identity_aliases_normalize(aliases.splitlines(), name=name)
    try:
        with transaction.atomic():
            identity = Identity.objects.create(
                name=name, aliases=aliases, notes=notes.strip(), created_by=actor
            )
            AuditEvent.record(actor=actor, action="identity.create", target=identity, after={"name": name})
    except IntegrityError:
        # Another request created the same name between the check and the insert.
        raise _name_taken_error(name) from None
    return identity


def identity_get_or_create(*, name: str, actor=None) -> tuple[Identity, bool]:
    """The identity with this name (any case), created if missing; FacesiteError for an unusable name."""
    normalized = identity_name_clean(name)
    existing = Identity.objects.filter(name__iexact=normalized).first()
    if existing:
        return existing, False
    try:
        return identity_create(name=normalized, actor=actor), True
    except IdentityNameTaken as error:
        # Another process created it between the lookup and the insert.
        return error.existing, False


def identity_update(*, identity: Identity, name: str, aliases: str, notes: str, actor) -> bool:
    """Rename an identity and change its aliases and notes; return whether anything changed.

    A name another identity already has raises IdentityNameTaken and changes nothing:
    two identities are only ever combined by identity_merge, which a person confirms.
    """
    name = _identity_name_check(name, exclude=identity)
    wanted = {
        "name": name,
        "aliases": identity_aliases_normalize(aliases.splitlines(), name=name),
        "notes": notes.strip(),
    }
    changes = {field: value for field, value in wanted.items() if getattr(identity, field) != value}
    if not changes:
        return False
    before = {field: _audit_value(field, getattr(identity, field)) for field in changes}
    after = {field: _audit_value(field, value) for field, value in changes.items()}
    try:
        with transaction.atomic():
            Identity.objects.filter(pk=identity.pk).update(**changes)
            AuditEvent.record(
                actor=actor,
                action="identity.rename" if "name" in changes else "identity.update",
                target=identity,
                before=before,
                after=after,
            )
    except IntegrityError:
        raise _name_taken_error(name, exclude=identity) from None
    for field, value in changes.items():
        setattr(identity, field, value)
    return True


def _identity_archived_set(identity: Identity, archived: bool, actor) -> bool:
    with transaction.atomic():
        # Only the request that actually flips the flag records an event.
        changed = Identity.objects.filter(pk=identity.pk, archived=not archived).update(archived=archived)
        if changed:
            AuditEvent.record(
                actor=actor,
                action="identity.archive" if archived else "identity.unarchive",
                target=identity,
                before={"archived": not archived},
                after={"archived": archived},
            )
            faces_changed_on_commit("archived")
    identity.archived = archived
    return bool(changed)


def identity_archive(*, identity: Identity, actor) -> bool:
    """Hide an identity from the default list and from datasets; its faces stay."""
    return _identity_archived_set(identity, True, actor)


def identity_unarchive(*, identity: Identity, actor) -> bool:
    return _identity_archived_set(identity, False, actor)


def storage_referrer_register(model: type[Model], field: str) -> None:
    """Count `model.field` as naming stored files: storage_files_delete_unreferenced keeps them."""
    if (model, field) not in _STORAGE_REFERRERS:
        _STORAGE_REFERRERS.append((model, field))


def storage_files_delete_unreferenced(storage_names: Iterable[str]) -> list[str]:
    """Delete the stored files that no SourceImage, Face or registered row names any more.

    Storage is content-addressed, so one file can stand behind rows of several
    identities; a file goes only when the last row naming it has gone. Rows of other
    apps count once registered (storage_referrer_register): pipeline's dataset manifests,
    since a frozen version must still export and train after its faces go.
    """
    names = sorted(set(storage_names) - {""})
    referrers = [(SourceImage, "file"), (Face, "file"), *_STORAGE_REFERRERS]
    still_used = set()
    for start in range(0, len(names), _REFERENCE_CHECK_BATCH):
        batch = names[start : start + _REFERENCE_CHECK_BATCH]
        for model, field in referrers:
            rows = model.objects.filter(**{f"{field}__in": batch})
            still_used.update(rows.values_list(field, flat=True))
    deleted = []
    for name in names:
        if name not in still_used and default_storage.exists(name):
            default_storage.delete(name)
            deleted.append(name)
    logger.info("Deleted %d unreferenced image files of %d checked.", len(deleted), len(names))
    return deleted


def _storage_files_delete_after_commit(storage_names: set[str]) -> None:
    # After the commit, so a rolled-back transaction never loses a file; robust, so a
    # file that cannot be deleted is logged instead of failing a request that succeeded.
    if storage_names:
        transaction.on_commit(partial(storage_files_delete_unreferenced, storage_names), robust=True)


def identity_delete(*, identity: Identity, actor) -> None:
    """Delete an identity with its source images, faces and votes, then its unshared files.

    1. Collect the storage names this identity's source images and faces point at.
    2. Record the event, then delete the identity; its rows go with it (cascade).
    3. After the commit, delete each collected file that no remaining row names.
    """
    with transaction.atomic():
        source_images = SourceImage.objects.filter(identity=identity)
        storage_names = set(source_images.values_list("file", flat=True))
        storage_names.update(Face.objects.filter(identity=identity).values_list("file", flat=True))
        before = {
            **_identity_snapshot(identity),
            "archived": identity.archived,
            "source_images": source_images.count(),
        }
        AuditEvent.record(actor=actor, action="identity.delete", target=identity, before=before)
        identity.delete()
        _storage_files_delete_after_commit(storage_names)
        faces_changed_on_commit("deleted")


def _merge_overlapping_photos(source: Identity, target: Identity) -> tuple[int, int, set[str]]:
    """Hand the faces of source photos the target also has to the target's rows.

    Returns the number of faces moved, the number dropped as duplicates, and the
    storage names of the dropped rows.
    """
    target_row_by_sha256 = dict(
        SourceImage.objects.filter(
            identity=target, sha256__in=SourceImage.objects.filter(identity=source).values("sha256")
        ).values_list("sha256", "pk")
    )
    # The Face unique constraint: one face per box and detector on a source image.
    taken_boxes = set(
        Face.objects.filter(source_image_id__in=target_row_by_sha256.values()).values_list(
            "source_image_id", "detector", "box_left", "box_top", "box_width", "box_height"
        )
    )
    moved_faces, duplicate_faces = [], []
    for face in Face.objects.filter(source_image__identity=source).select_related("source_image"):
        target_row_id = target_row_by_sha256[face.source_image.sha256]
        box_key = (target_row_id, face.detector, *face.box)
        if box_key in taken_boxes:
            duplicate_faces.append(face)
            continue
        taken_boxes.add(box_key)
        face.source_image_id, face.identity_id = target_row_id, target.pk
        moved_faces.append(face)
    Face.objects.bulk_update(moved_faces, ["source_image", "identity"], batch_size=500)
    dropped_files = {face.file for face in duplicate_faces}
    Face.objects.filter(pk__in=[face.pk for face in duplicate_faces]).delete()
    overlapping_rows = SourceImage.objects.filter(identity=source)
    dropped_files.update(overlapping_rows.values_list("file", flat=True))
    overlapping_rows.delete()
    return len(moved_faces), len(duplicate_faces), dropped_files


def identity_merge(*, source: Identity, target: Identity, actor) -> IdentityMergeReport:
    """Move everything of `source` into `target`, then delete `source`.

    1. Lock both identities, in primary-key order so two merges cannot deadlock.
    2. Source photos the target lacks move over whole, with their faces.
    3. Source photos the target already has (a SourceImage is unique per identity and
       sha256) give their faces to the target's row; a face whose box that row already
       holds is a duplicate and is dropped, and the source's row is deleted.
    4. The source's name and aliases become aliases of the target; its notes are appended.
    5. The source is deleted, the target's counts recounted, and one "identity.merge"
       event records both identities before and the target after.
    """
    if source.pk == target.pk:
        raise FacesiteError("An identity cannot be merged into itself.")
    with transaction.atomic():
        locked = Identity.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
        identities_by_pk = {identity.pk: identity for identity in locked}
        if len(identities_by_pk) != 2:
            raise FacesiteError("One of the two identities was deleted meanwhile; nothing was merged.")
        source, target = identities_by_pk[source.pk], identities_by_pk[target.pk]
        before = {"source": _identity_snapshot(source), "target": _identity_snapshot(target)}

        target_sha256s = SourceImage.objects.filter(identity=target).values("sha256")
        moved_faces = (
            Face.objects.filter(source_image__identity=source)
            .exclude(source_image__sha256__in=target_sha256s)
            .update(identity=target)
        )
        moved_source_images = (
            SourceImage.objects.filter(identity=source)
            .exclude(sha256__in=target_sha256s)
            .update(identity=target)
        )
        overlap_moved_faces, duplicate_faces_dropped, dropped_files = _merge_overlapping_photos(
            source, target
        )

        target.aliases = identity_aliases_normalize(
            [*target.alias_list(), source.name, *source.alias_list()], name=target.name
        )
        if source.notes.strip():
            target.notes = "\n\n".join(
                part for part in (target.notes.strip(), f"From {source.name}: {source.notes.strip()}") if part
            )
        target.save(update_fields=["aliases", "notes"])
        source.delete()
        target.update_face_counts()

        report = IdentityMergeReport(
            moved_faces=moved_faces + overlap_moved_faces,
            moved_source_images=moved_source_images,
            duplicate_faces_dropped=duplicate_faces_dropped,
        )
        AuditEvent.record(
            actor=actor,
            action="identity.merge",
            target=target,
            before=before,
            after={"target": _identity_snapshot(target), **asdict(report)},
        )
        _storage_files_delete_after_commit(dropped_files)
        faces_changed_on_commit("merged", identity_ids=[target.pk])
    return report


def _curated_faces(face_ids: Iterable[int], identity: Identity) -> list[Face]:
    """The identity's approved faces with these ids, locked, or FacesiteError naming the
    first id that is not one (deleted, another identity's, or not approved)."""
    face_ids = sorted(set(face_ids))
    if not face_ids:
        raise FacesiteError("Select some faces first.")
    if len(face_ids) > CURATE_FACES_MAX:
        raise FacesiteError(f"Select at most {CURATE_FACES_MAX} faces at a time.")
    faces = {
        face.pk: face
        for face in Face.objects.select_for_update()
        .filter(pk__in=face_ids, identity=identity, status=Face.Status.APPROVED)
        .select_related("source_image")
    }
    missing = [face_id for face_id in face_ids if face_id not in faces]
    if missing:
        raise FacesiteError(
            f"Face {missing[0]} is not an approved face of {identity.name} (any more); nothing was changed."
        )
    return [faces[face_id] for face_id in face_ids]


def _target_source_image(face: Face, target: Identity, rows_by_sha256: dict[str, SourceImage]) -> SourceImage:
    """The target's row for the face's photo: its own if it has one, else a copy of the
    source's row sharing the stored file (a SourceImage is unique per identity and sha256)."""
    photo = face.source_image
    row = rows_by_sha256.get(photo.sha256)
    if row is None:
        row = SourceImage.objects.filter(identity=target, sha256=photo.sha256).first()
    if row is None:
        fields = {
            field.name: getattr(photo, field.name)
            for field in SourceImage._meta.concrete_fields
            if field.name not in ("id", "identity", "created_at")
        }
        row = SourceImage.objects.create(identity=target, **fields)
    rows_by_sha256[photo.sha256] = row
    return row


def faces_move(*, face_ids: Iterable[int], source: Identity, target: Identity, actor) -> int:
    """File approved faces of `source` under `target` instead; returns how many moved.

    1. Refuse, changing nothing, when the target is the source, archived or deleted, or
       a face is not an approved face of the source.
    2. Lock both identities in primary-key order (as identity_merge), then the faces.
    3. Each face moves to the target's row for its photo (a copy of the source's row,
       sharing its file, when the target has none); a face whose box the target already
       holds on that photo is refused as a duplicate.
    4. One "face.move" event per face; both identities recounted; faces_moved is sent
       inside the transaction (recognition re-files the faces' gallery rows) and
       faces_changed after the commit.
    """
    if source.pk == target.pk:
        raise FacesiteError(f"The faces already belong to {target.name}; choose another identity.")
    with transaction.atomic():
        locked = Identity.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
        identities_by_pk = {identity.pk: identity for identity in locked}
        if source.pk not in identities_by_pk:
            raise FacesiteError(f"{source.name} was deleted meanwhile; nothing was moved.")
        if target.pk not in identities_by_pk:
            raise FacesiteError(f"{target.name} was deleted meanwhile; nothing was moved.")
        source, target = identities_by_pk[source.pk], identities_by_pk[target.pk]
        if target.archived:
            raise FacesiteError(f"{target.name} is archived; unarchive it first, or choose another identity.")
        faces = _curated_faces(face_ids, source)
        rows_by_sha256: dict[str, SourceImage] = {}
        for face in faces:
            row = _target_source_image(face, target, rows_by_sha256)
            duplicate = Face.objects.filter(
                source_image=row,
                detector=face.detector,
                box_left=face.box_left,
                box_top=face.box_top,
                box_width=face.box_width,
                box_height=face.box_height,
            ).first()
            if duplicate is not None:
                raise FacesiteError(
                    f"Face {face.pk} is already in {target.name} as face {duplicate.pk} (same photo and "
                    "box); reject it as a duplicate instead. Nothing was moved."
                )
            face.source_image, face.identity = row, target
            face.save(update_fields=["source_image", "identity"])
            AuditEvent.record(
                actor=actor,
                action="face.move",
                target=face,
                before={"identity": source.name},
                after={"identity": target.name},
            )
        source.update_face_counts()
        target.update_face_counts()
        faces_moved.send(sender=None, face_ids=[face.pk for face in faces])
        faces_changed_on_commit("moved", identity_ids=[source.pk, target.pk])
    return len(faces)


def faces_reject(*, face_ids: Iterable[int], identity: Identity, reason: str, actor) -> int:
    """Reject approved faces of `identity` through the admin override, one audited
    override per face, all or none; returns how many were rejected.

    Refuses, changing nothing, when a face is not an approved face of the identity. The
    identity's row is locked before the faces, as identity_merge locks them, so the
    recount each override makes cannot deadlock with a merge.
    """
    with transaction.atomic():
        if not Identity.objects.select_for_update().filter(pk=identity.pk).values_list("pk").first():
            raise FacesiteError(f"{identity.name} was deleted meanwhile; nothing was rejected.")
        faces = _curated_faces(face_ids, identity)
        for face in faces:
            outcome = review_override(
                actor=actor, face_id=face.pk, decision=Face.Status.REJECTED, reason=reason
            )
            if not outcome.saved:
                raise FacesiteError(f"{outcome.message} Nothing was rejected.")
    return len(faces)


def _bulk_identities(identity_ids: Iterable[int]) -> list[Identity]:
    identity_ids = sorted(set(identity_ids))
    if not identity_ids:
        raise FacesiteError("Select some identities first.")
    if len(identity_ids) > BULK_IDENTITIES_MAX:
        raise FacesiteError(f"Select at most {BULK_IDENTITIES_MAX} identities at a time.")
    identities = list(Identity.objects.filter(pk__in=identity_ids).order_by("pk"))
    if len(identities) != len(identity_ids):
        raise FacesiteError("Some of the selected identities were deleted meanwhile; nothing was changed.")
    return identities


def identities_merge(*, source_ids: Iterable[int], target: Identity, actor) -> IdentityMergeReport:
    """Merge every source into `target` (identity_merge for each, one "identity.merge"
    event apiece) in one transaction: all merge or none. Returns the summed report."""
    sources = [identity for identity in _bulk_identities(source_ids) if identity.pk != target.pk]
    if not sources:
        raise FacesiteError(f"Select identities other than {target.name} to merge into it.")
    if target.archived:
        raise FacesiteError(f"{target.name} is archived; unarchive it first, or choose another identity.")
    totals = {"moved_faces": 0, "moved_source_images": 0, "duplicate_faces_dropped": 0}
    with transaction.atomic():
        for source in sources:
            report = identity_merge(source=source, target=target, actor=actor)
            for field, value in asdict(report).items():
                totals[field] += value
    return IdentityMergeReport(**totals)


def identities_archive(*, identity_ids: Iterable[int], actor) -> int:
    """Archive every selected identity (each audited) in one transaction; returns how
    many were archived now, leaving out those already archived."""
    with transaction.atomic():
        return sum(
            identity_archive(identity=identity, actor=actor) for identity in _bulk_identities(identity_ids)
        )
