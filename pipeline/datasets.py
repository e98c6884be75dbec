"""Dataset versions: freezing a manifest of approved faces, split per identity, and reading it.

A build chooses faces and splits them per identity before anything is reused or
augmented, so no copy or variant of a validation or test face is ever trained on:
reuse is a `repeats` count on training items only, and augmentation happens later,
on training items, in the training pipeline.
"""

import csv
import io
import logging
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, ProtectedError
from django.utils import timezone

from facesite.errors import FacesiteError
from facesite.files import atomic_path
from identities.models import AuditEvent, Face, Identity
from identities.services import storage_files_delete_unreferenced
from pipeline.jobs import JobProgress
from pipeline.models import DatasetItem, DatasetVersion, JobRun

logger = logging.getLogger(__name__)

# Augmented training images of a version live under augmented/dataset_<id>/ (written by
# pipeline.augmentation's job); deleting the version deletes them.
AUGMENTED_FOLDER = "augmented"
# Items written per INSERT.
ITEM_WRITE_BATCH = 1000
# Identities whose faces are read in one query: few queries, and memory stays bounded.
IDENTITY_QUERY_BATCH = 200
# Fewer than three faces cannot give one face each to training, validation and test.
MIN_FACES_FLOOR = 3
# repeats is a small integer column; this keeps the biggest repeat count well inside it.
PER_IDENTITY_MAX = 10_000
MANIFEST_COLUMNS = ["face_id", "identity_id", "identity_name", "label", "split", "repeats", "file"]
SPLITS = [DatasetItem.Split.TRAIN, DatasetItem.Split.VALIDATION, DatasetItem.Split.TEST]


@dataclass(frozen=True)
class DatasetRules:
    """How a version is built; saved as its `config`."""

    # Identities with fewer approved faces are left out (the original's 30).
    min_faces: int
    # Faces per identity: more are sampled down to it, fewer are balanced by repeating
    # training faces (the original's 50).
    per_identity: int
    # Percentages for training, validation and test, applied per identity.
    split: tuple[int, int, int]
    # Same approved faces and same seed give the same manifest.
    seed: int = 0

    @classmethod
    def with_defaults(cls, **given) -> "DatasetRules":
        """Rules from the given values; missing or None ones come from settings and the original."""
        defaults = {
            "min_faces": settings.FACESITE_MIN_APPROVED_FACES,
            "per_identity": settings.FACESITE_TARGET_APPROVED_FACES,
            "split": (70, 20, 10),
            "seed": 0,
        }
        values = {
            name: given.get(name) if given.get(name) is not None else default
            for name, default in defaults.items()
        }
        if isinstance(values["split"], str):
            values["split"] = split_parse(values["split"])
        rules = cls(**{**values, "split": tuple(values["split"])})
        rules.check()
        return rules

    def check(self) -> None:
        if self.min_faces < MIN_FACES_FLOOR:
            raise FacesiteError(f"The minimum number of approved faces must be at least {MIN_FACES_FLOOR}.")
        if not MIN_FACES_FLOOR <= self.per_identity <= PER_IDENTITY_MAX:
            raise FacesiteError(
                f"Faces per identity must be between {MIN_FACES_FLOOR} and {PER_IDENTITY_MAX}."
            )
        if self.seed < 0:
            raise FacesiteError("The seed must be 0 or more.")
        split_check(self.split)

    def split_counts(self, count: int) -> tuple[int, int, int]:
        """(training, validation, test) faces out of `count` faces of one identity.

        Validation and test get their percentage of the faces rounded to the nearest
        whole face (halves up), at least one each; training gets the rest, at least one.
        """
        _, validation_percent, test_percent = self.split
        validation = max(1, (count * validation_percent * 2 + 100) // 200)
        test = max(1, (count * test_percent * 2 + 100) // 200)
        while count - validation - test < 1:
            if validation >= test:
                validation -= 1
            else:
                test -= 1
        return count - validation - test, validation, test

    def to_json(self) -> dict:
        return {**asdict(self), "split": list(self.split)}


def split_parse(text: str) -> tuple[int, int, int]:
    """'70/20/10' (or with commas or colons) as three whole percentages."""
    parts = [part.strip() for part in re.split(r"[/,:]", text.strip())]
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise FacesiteError(f"Write the split as three whole percentages, like 70/20/10, not {text!r}.")
    split = (int(parts[0]), int(parts[1]), int(parts[2]))
    split_check(split)
    return split


def split_check(split: tuple[int, int, int]) -> None:
    if sum(split) != 100 or min(split) < 1:
        raise FacesiteError(
            "The split's three percentages (training/validation/test) must each be at least 1 "
            "and add up to 100."
        )


# Reading a version.


def dataset_classes(dataset: DatasetVersion) -> list[dict]:
    """The dataset's classes in label order: [{"identity_id": ..., "name": ...}, ...].

    identity_id is None for an identity deleted since the build; its name stays.
    """
    rows = (
        DatasetItem.objects.filter(dataset=dataset)
        .values_list("label", "identity_id", "identity_name")
        .distinct()
        .order_by("label")
    )
    classes: dict[int, dict] = {}
    for label, identity_id, name in rows:
        classes.setdefault(label, {"identity_id": identity_id, "name": name})
    return [classes[label] for label in sorted(classes)]


def dataset_split_items(dataset: DatasetVersion, split: str) -> list[tuple[str, int, int]]:
    """(storage name of the crop, label, repeats) of each item of one split, in manifest order."""
    if split not in DatasetItem.Split.values:
        raise ValueError(f"Unknown split {split!r}; one of {', '.join(DatasetItem.Split.values)}.")
    items = DatasetItem.objects.filter(dataset=dataset, split=split).order_by("label", "pk")
    return list(items.values_list("file", "label", "repeats"))


def dataset_previous_ready(exclude: DatasetVersion | None = None) -> DatasetVersion | None:
    versions = DatasetVersion.objects.filter(status=DatasetVersion.Status.READY)
    if exclude is not None:
        versions = versions.exclude(pk=exclude.pk)
    return versions.order_by("-built_at", "-pk").first()


# Building a version.


@dataclass
class _Chosen:
    """One identity's chosen faces, split, with the repeat count of each training face."""

    identity: Identity
    label: int
    approved: int
    train: list[tuple[int, str, int]]  # (face id, storage name, repeats)
    validation: list[tuple[int, str]]
    test: list[tuple[int, str]]


def dataset_build_start(*, rules: DatasetRules, name: str, actor) -> tuple[DatasetVersion, JobRun]:
    """Create a version in the building state and queue the job that builds it."""
    from pipeline.services import job_start_for

    with transaction.atomic():
        dataset = dataset_create(rules=rules, name=name, actor=actor)
        parameters = {"dataset_id": dataset.pk}
        job_run, _ = job_start_for(dataset, kind="dataset", parameters=parameters, actor=actor)
        dataset.job = job_run
        dataset.save(update_fields=["job"])
    return dataset, job_run


def dataset_create(*, rules: DatasetRules, name: str, actor=None) -> DatasetVersion:
    """A version in the building state with no job, for the command that builds inline."""
    return DatasetVersion.objects.create(
        name=name.strip(), config=rules.to_json(), seed=rules.seed, created_by=_user_or_none(actor)
    )


def _user_or_none(actor):
    return actor if actor is not None and actor.is_authenticated else None


def dataset_job_run(*, dataset: DatasetVersion, job_run: JobRun, progress: JobProgress) -> dict:
    """The dataset job: build the version it was started for."""
    # A retried build is a new run: the version's page follows the run that builds it.
    DatasetVersion.objects.filter(pk=dataset.pk).update(job=job_run)
    dataset = dataset_build(dataset=dataset, progress=progress)
    counts = dataset.summary["splits"]
    return {
        "identities": dataset.identity_count,
        "faces": dataset.face_count,
        **counts,
        "identities_left_out": len(dataset.summary["left_out"]),
    }


def dataset_build(*, dataset: DatasetVersion, progress) -> DatasetVersion:
    """Choose, split and balance the faces of a building (or failed) version, and freeze them.

    1. Count approved faces per identity; leave out archived identities and those below
       the minimum, each with its reason.
    2. Give labels in sorted order of identity name.
    3. Per identity, with its own generator seeded by (seed, identity id), so one
       identity's choice does not change when another is added: sort faces by id,
       sample down to per_identity, shuffle, and cut test, validation and training.
    4. Balance: training faces of an identity with fewer than per_identity faces get
       repeats, so each identity's training faces count as many as a full identity's.
    5. Write every item and mark the version ready in one transaction; on any error the
       version is marked failed and has no items.

    `progress` is a JobProgress, or anything with its step/advance/log methods.
    """
    claimed = DatasetVersion.objects.filter(
        pk=dataset.pk, status__in=[DatasetVersion.Status.BUILDING, DatasetVersion.Status.FAILED]
    ).update(status=DatasetVersion.Status.BUILDING, summary={})
    if not claimed:
        raise FacesiteError(f"{dataset} is already built; a version never changes. Build a new one instead.")
    try:
        rules = DatasetRules.with_defaults(**{**dataset.config, "seed": dataset.seed})
        chosen, left_out = _faces_choose(rules, progress)
        previous = dataset_previous_ready(exclude=dataset)
        summary = _summary(chosen, left_out, previous)
        items = _items(dataset, chosen)
        progress.step(f"Writing {len(items)} items")
        # No progress reports inside the transaction: they would hold a lock on the job's
        # row, and a Stop click would wait for the commit.
        with transaction.atomic():
            for start in range(0, len(items), ITEM_WRITE_BATCH):
                DatasetItem.objects.bulk_create(items[start : start + ITEM_WRITE_BATCH])
            DatasetVersion.objects.filter(pk=dataset.pk).update(
                status=DatasetVersion.Status.READY,
                previous=previous,
                identity_count=len(chosen),
                face_count=len(items),
                summary=summary,
                built_at=timezone.now(),
            )
    except BaseException as error:
        # Ctrl-C on the command counts too. The transaction left no items; the delete only
        # matters if something else wrote some.
        DatasetItem.objects.filter(dataset=dataset).delete()
        DatasetVersion.objects.filter(pk=dataset.pk).update(
            status=DatasetVersion.Status.FAILED, summary={"error": str(error) or type(error).__name__}
        )
        raise
    dataset.refresh_from_db()
    counts = ", ".join(f"{split} {dataset.summary['splits'][split]}" for split in SPLITS)
    progress.log(f"{dataset.identity_count} identities, {dataset.face_count} faces ({counts}).")
    return dataset


def _faces_choose(rules: DatasetRules, progress) -> tuple[list[_Chosen], list[dict]]:
    progress.step("Counting approved faces")
    approved_counts = dict(
        Face.objects.filter(status=Face.Status.APPROVED)
        .values_list("identity_id")
        .annotate(count=Count("id"))
        .values_list("identity_id", "count")
    )
    eligible, left_out = [], []
    for identity in Identity.objects.all():
        approved = approved_counts.get(identity.pk, 0)
        reason = _left_out_reason(identity, approved, rules)
        if reason:
            left_out.append({"identity_id": identity.pk, "name": identity.name, "reason": reason})
        else:
            eligible.append(identity)
    if not eligible:
        raise FacesiteError(
            f"No identity has {rules.min_faces} or more approved faces, so there is nothing to build. "
            "Review more faces, or lower the minimum."
        )
    eligible.sort(key=lambda identity: (identity.name.casefold(), identity.name))
    left_out.sort(key=lambda row: row["name"].casefold())
    train_target = rules.split_counts(rules.per_identity)[0]
    progress.step(f"Choosing faces of {len(eligible)} identities")
    chosen = []
    for start in range(0, len(eligible), IDENTITY_QUERY_BATCH):
        batch = eligible[start : start + IDENTITY_QUERY_BATCH]
        faces_by_identity = _approved_faces(batch)
        for label, identity in enumerate(batch, start=start):
            generator = np.random.default_rng([rules.seed, identity.pk])
            faces = faces_by_identity[identity.pk]
            if len(faces) < rules.min_faces:
                raise FacesiteError(
                    f"Faces of {identity.name} were rejected or deleted while this dataset was built. "
                    "Build again."
                )
            chosen.append(_identity_split(identity, label, faces, rules, train_target, generator))
        progress.advance(start + len(batch), len(eligible))
    return chosen, left_out


def _approved_faces(identities: list[Identity]) -> dict[int, list[tuple[int, str]]]:
    """(face id, storage name) of each identity's approved faces, sorted by id."""
    faces: dict[int, list[tuple[int, str]]] = {identity.pk: [] for identity in identities}
    rows = (
        Face.objects.filter(identity__in=identities, status=Face.Status.APPROVED)
        .order_by("identity_id", "pk")
        .values_list("identity_id", "pk", "file")
    )
    for identity_id, face_id, file in rows:
        faces[identity_id].append((face_id, file))
    return faces


def _left_out_reason(identity: Identity, approved: int, rules: DatasetRules) -> str:
    if identity.archived:
        return "archived"
    if approved < rules.min_faces:
        return f"{approved} approved face{'' if approved == 1 else 's'}, needs {rules.min_faces}"
    return ""


def _identity_split(identity, label, faces, rules, train_target, generator) -> _Chosen:
    approved = len(faces)
    if len(faces) > rules.per_identity:
        picked = np.sort(generator.choice(len(faces), size=rules.per_identity, replace=False))
        faces = [faces[index] for index in picked]
    faces = [faces[index] for index in generator.permutation(len(faces))]
    train_count, validation_count, test_count = rules.split_counts(len(faces))
    test = faces[:test_count]
    validation = faces[test_count : test_count + validation_count]
    train = faces[test_count + validation_count :]
    repeats = _repeats(len(train), train_target)
    return _Chosen(
        identity=identity,
        label=label,
        approved=approved,
        train=[(face_id, file, count) for (face_id, file), count in zip(train, repeats, strict=True)],
        validation=validation,
        test=test,
    )


def _repeats(train_count: int, train_target: int) -> list[int]:
    """How often each of train_count faces is used so that together they count train_target.

    The first (train_target mod train_count) faces, which are in shuffled order, get
    one more; an identity with at least train_target faces uses each once.
    """
    if train_count >= train_target:
        return [1] * train_count
    base, extra = divmod(train_target, train_count)
    return [base + 1 if index < extra else base for index in range(train_count)]


def _summary(chosen: list[_Chosen], left_out: list[dict], previous: DatasetVersion | None) -> dict:
    identities = [
        {
            "identity_id": entry.identity.pk,
            "name": entry.identity.name,
            "label": entry.label,
            "approved": entry.approved,
            "train": len(entry.train),
            "validation": len(entry.validation),
            "test": len(entry.test),
            "train_weighted": sum(repeats for _, _, repeats in entry.train),
        }
        for entry in chosen
    ]
    splits = {split: sum(row[split] for row in identities) for split in SPLITS}
    return {
        "splits": splits,
        "train_weighted": sum(row["train_weighted"] for row in identities),
        "identities": identities,
        "left_out": left_out,
        "diff": _diff(chosen, previous),
    }


def _diff(chosen: list[_Chosen], previous: DatasetVersion | None) -> dict | None:
    """Identities and faces added or removed since the previous ready version."""
    if previous is None:
        return None
    old_identities = dict(
        DatasetItem.objects.filter(dataset=previous)
        .values_list("identity_id", "identity_name")
        .distinct()
        .order_by()
    )
    old_face_ids = list(DatasetItem.objects.filter(dataset=previous).values_list("face_id", flat=True))
    old_faces = {face_id for face_id in old_face_ids if face_id is not None}
    new_identities = {entry.identity.pk: entry.identity.name for entry in chosen}
    new_faces = {face[0] for entry in chosen for face in (*entry.train, *entry.validation, *entry.test)}
    # A deleted face or identity is None in the old manifest: it counts as removed.
    return {
        "previous_id": previous.pk,
        "identities_added": sorted(name for pk, name in new_identities.items() if pk not in old_identities),
        "identities_removed": sorted(
            name for pk, name in old_identities.items() if pk is None or pk not in new_identities
        ),
        "faces_added": len(new_faces - old_faces),
        "faces_removed": len(old_faces - new_faces) + old_face_ids.count(None),
    }


def _items(dataset: DatasetVersion, chosen: list[_Chosen]) -> list[DatasetItem]:
    return [
        DatasetItem(
            dataset=dataset,
            face_id=face_id,
            identity=entry.identity,
            identity_name=entry.identity.name,
            label=entry.label,
            split=split,
            file=file,
            repeats=repeats,
        )
        for entry in chosen
        for split, faces in (
            (DatasetItem.Split.TRAIN, entry.train),
            (DatasetItem.Split.VALIDATION, [(*face, 1) for face in entry.validation]),
            (DatasetItem.Split.TEST, [(*face, 1) for face in entry.test]),
        )
        for face_id, file, repeats in faces
    ]


# Deleting a version.


def dataset_delete(*, dataset: DatasetVersion, actor) -> None:
    """Delete a version and its manifest, unless a model was trained on it or it is building.

    Crop files that only this manifest still named (their faces were deleted) go too, and
    so do augmented images written for it.
    """
    if dataset.status == DatasetVersion.Status.BUILDING and dataset.job and dataset.job.is_active:
        raise FacesiteError(f"{dataset} is being built; stop its job first.")
    files = set(DatasetItem.objects.filter(dataset=dataset).values_list("file", flat=True))
    try:
        with transaction.atomic():
            AuditEvent.record(
                actor=actor,
                action="dataset.delete",
                target=dataset,
                before={"identities": dataset.identity_count, "faces": dataset.face_count},
            )
            dataset_id = dataset.pk
            dataset.delete()
            transaction.on_commit(partial(storage_files_delete_unreferenced, files), robust=True)
            transaction.on_commit(partial(augmented_delete, dataset_id), robust=True)
    except ProtectedError as error:
        models = ", ".join(sorted({str(model) for model in error.protected_objects}))
        raise FacesiteError(
            f"{dataset} cannot be deleted: models were trained on it ({models}). Delete those models first."
        ) from None


def augmented_folder(dataset_id: int) -> str:
    return f"{AUGMENTED_FOLDER}/dataset_{dataset_id}"


def augmented_delete(dataset_id: int) -> int:
    """Delete a dataset's augmented images; return how many went."""
    deleted = 0
    folder = augmented_folder(dataset_id)
    if not default_storage.exists(folder):
        return 0
    identity_folders, _ = default_storage.listdir(folder)
    for identity_folder in identity_folders:
        _, files = default_storage.listdir(f"{folder}/{identity_folder}")
        for file in files:
            default_storage.delete(f"{folder}/{identity_folder}/{file}")
            deleted += 1
    return deleted


# Exporting a version.


def folder_name(name: str) -> str:
    """An identity name as one safe folder name on any common file system."""
    cleaned = re.sub(r'[\x00-\x1f/\\:*?"<>|]', "_", name).strip(" .")
    return cleaned or "_"


# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google
# Sheets (=HYPERLINK(...) leaks data, =cmd|... ran programs); OWASP's advice is a leading '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _export_entries(dataset: DatasetVersion) -> Iterator[tuple[DatasetItem, str]]:
    """Each item with its path in the export: <split>/<identity name>/<face id>.<ext>."""
    items = DatasetItem.objects.filter(dataset=dataset).order_by("split", "label", "pk")
    for item in items.iterator(chunk_size=2000):
        extension = PurePosixPath(item.file).suffix or ".jpg"
        stem = item.face_id if item.face_id is not None else f"item{item.pk}"
        yield item, f"{item.split}/{folder_name(item.identity_name)}/{stem}{extension}"


def _export_write(dataset: DatasetVersion, add_file, add_manifest) -> tuple[int, int]:
    """Walk the manifest, copying each present crop with add_file; return (written, missing)."""
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(MANIFEST_COLUMNS)
    written = missing = 0
    for item, path in _export_entries(dataset):
        if not default_storage.exists(item.file):
            missing += 1
            continue
        with default_storage.open(item.file, "rb") as source:
            add_file(path, source)
        row = [item.face_id or "", item.identity_id or "", item.identity_name, item.label, item.split]
        writer.writerow([spreadsheet_safe(str(cell)) for cell in [*row, item.repeats, path]])
        written += 1
    add_manifest(manifest.getvalue())
    return written, missing


def dataset_export_zip(*, dataset: DatasetVersion, destination: IO[bytes]) -> tuple[int, int]:
    """Write the export as a zip into an open binary file; return (files written, files missing).

    Crops are stored, not compressed: JPEG does not shrink, and storing is fast.
    """
    _export_check(dataset)
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_STORED) as archive:

        def add_file(path: str, source: IO[bytes]) -> None:
            with archive.open(path, "w") as target:
                shutil.copyfileobj(source, target)

        return _export_write(dataset, add_file, lambda text: archive.writestr("manifest.csv", text))


def dataset_export_folder(*, dataset: DatasetVersion, path: Path) -> tuple[int, int]:
    """Write the export as a folder at path (which must not exist yet); return (written, missing).

    It is written under a temporary name beside path and renamed at the end, so path
    never holds half an export.
    """
    _export_check(dataset)
    if path.exists():
        raise FacesiteError(f"{path} already exists; choose a new folder.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial_path = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:

        def add_file(relative: str, source: IO[bytes]) -> None:
            target = partial_path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                shutil.copyfileobj(source, handle)

        counts = _export_write(dataset, add_file, (partial_path / "manifest.csv").write_text)
        os.replace(partial_path, path)
    except BaseException:
        shutil.rmtree(partial_path, ignore_errors=True)
        raise
    return counts


def dataset_export_zip_file(*, dataset: DatasetVersion, path: Path) -> tuple[int, int]:
    """Write the export zip at path, through a temporary file renamed at the end."""
    _export_check(dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial, partial.open("wb") as destination:
        return dataset_export_zip(dataset=dataset, destination=destination)


def _export_check(dataset: DatasetVersion) -> None:
    if dataset.status != DatasetVersion.Status.READY:
        raise FacesiteError(
            f"{dataset} is {dataset.get_status_display().lower()}; only a ready version can be exported."
        )
