"""Human effort and accuracy of review with and without assistance, on a scraped-like set.

Usage: .venv/bin/python benchmarks/review_effort.py [--noise 0.15] [--error 0.02] [--seed 0]
       [--cache /tmp/review_effort_faces.npz] [DATA_DIR]

1. Detect every face (YuNet) in ../shared/data/celeba_subset's 1,929 photos and embed
   each with FaceNet, once; the result is cached (--cache), since it is the slow part.
2. Build the noisy set (seeded): each identity's folder keeps its own photos and
   receives photos of other identities, so that `--noise` (15%) of its photos are not
   its person's. Every face found in a folder's photo is a pending crop of that folder's
   identity, as an import or a scrape would make it.
3. Ground truth: a crop is its identity's face when the photo's CelebA label is that
   identity and the crop is the photo's largest face (CelebA labels one person per photo,
   the one the picture is of). A crop is unlabelled, and left out of precision and
   recall, when its photo's second-largest face is at least AMBIGUOUS_SIZE of the
   largest (then "largest" does not say which face the label means).
4. Score every crop with the review assistance's own arithmetic and bars
   (recognition.gallery.assist.crops_assess, recognition.services.review_assist.
   review_assist_bars) and print the bands alone.
5. Simulate reviewers who follow the page, each judgement wrong `--error` of the time,
   under off (today), suggest and trust, and print human decisions per crop and the
   precision and recall of the approved faces.
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_django import django_setup, sqlite_url

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"

# A photo whose second face is at least this share of its largest face's height is
# ambiguous: the CelebA label may mean either.
AMBIGUOUS_SIZE = 0.8


def faces_detect_and_embed(images_dir: Path, cache: Path) -> dict:
    """Every face of every photo: its photo, box height, detector confidence, sharpness,
    FaceNet vector; cached in `cache`."""
    if cache.exists():
        return dict(np.load(cache))
    from PIL import Image, ImageOps

    from pipeline.detection import detector_get
    from pipeline.quality import face_sharpness
    from recognition.embedders.facenet import facenet_embedder

    detector, embedder = detector_get("yunet"), facenet_embedder()
    photos = sorted(images_dir.glob("*/*.jpg"))
    rows = {"photo": [], "height": [], "confidence": [], "sharpness": [], "vector": []}
    photo_labels = []
    started = time.perf_counter()
    for photo_index, path in enumerate(photos):
        photo_labels.append(int(path.parent.name))
        with Image.open(path) as opened:
            image = np.asarray(ImageOps.exif_transpose(opened).convert("RGB"))
        faces = detector.detect(image)
        if not faces:
            continue
        chips = [embedder.chip(image, face) for face in faces]
        vectors = embedder.embed_chips(chips)
        for face, vector in zip(faces, vectors, strict=True):
            top, left = max(face.top, 0), max(face.left, 0)
            box = image[top : face.top + face.height, left : face.left + face.width]
            rows["photo"].append(photo_index)
            rows["height"].append(min(face.width, face.height))
            rows["confidence"].append(face.confidence if face.confidence is not None else 1.0)
            rows["sharpness"].append(face_sharpness(box))
            rows["vector"].append(vector)
        if photo_index % 200 == 0:
            print(f"  {photo_index}/{len(photos)} photos, {time.perf_counter() - started:.0f} s", flush=True)
    data = {key: np.asarray(value) for key, value in rows.items()}
    data["photo_labels"] = np.asarray(photo_labels)
    data["vector"] = data["vector"].astype(np.float32)
    np.savez(cache, **data)
    print(
        f"Detected and embedded {len(data['photo'])} faces in {len(photos)} photos "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return data


BATCH_SIZE = 24  # identities.review_services.BATCH_SIZE, the crops a reviewer sees at once
CONSENSUS = 2  # FACESITE_REVIEW_CONSENSUS's default


def noisy_set(faces: dict, noise: float, seed: int) -> dict:
    """Crops of every identity's folder: its own photos plus others' (`noise` of the folder).

    Returns per crop: identity, photo, face row, and truth (1 its person, 0 not, -1 unlabelled).
    """
    generator = np.random.default_rng(seed)
    photo_labels = faces["photo_labels"]
    faces_of_photo: dict[int, list[int]] = {}
    for row, photo in enumerate(faces["photo"]):
        faces_of_photo.setdefault(int(photo), []).append(row)
    crops = {"identity": [], "photo": [], "row": [], "truth": []}
    unlabelled_photos = 0
    for identity in np.unique(photo_labels):
        own = np.flatnonzero(photo_labels == identity)
        others = np.flatnonzero(photo_labels != identity)
        extra = generator.choice(others, size=round(len(own) * noise / (1 - noise)), replace=False)
        for photo in np.r_[own, extra]:
            rows = faces_of_photo.get(int(photo), [])
            heights = faces["height"][rows]
            order = np.argsort(-heights)
            ambiguous = len(rows) > 1 and heights[order[1]] >= AMBIGUOUS_SIZE * heights[order[0]]
            unlabelled_photos += bool(ambiguous and photo_labels[photo] == identity)
            for row in rows:
                if photo_labels[photo] != identity:
                    truth = 0
                elif ambiguous:
                    truth = -1
                else:
                    truth = int(row == rows[order[0]])
                crops["identity"].append(int(identity))
                crops["photo"].append(int(photo))
                crops["row"].append(row)
                crops["truth"].append(truth)
    crops = {key: np.asarray(value) for key, value in crops.items()}
    crops["unlabelled_photos"] = unlabelled_photos
    return crops


def precision_recall(approved: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    labelled = truth >= 0
    chosen = approved & labelled
    precision = (truth[chosen] == 1).mean() if chosen.any() else float("nan")
    recall = chosen[truth == 1].mean()
    return float(precision), float(recall)


def reviewers_simulate(
    crops: dict, bands: np.ndarray, blind: np.ndarray, mode: str, error: float, seed: int
) -> dict:
    """Reviewers who follow the page, each judgement wrong `error` of the time.

    off (today): every crop is its own decision, until CONSENSUS agreeing votes lead.
    suggest and trust: a reviewer's batch (BATCH_SIZE crops of one identity, most
    suspicious first) costs one decision per crop they reject and one key that approves
    all the others; still one vote per crop and the same consensus. trust: a likely-right
    crop (not a blind check) is decided by its one vote; a likely-not-a-face crop is
    rejected with no human at all.
    """
    generator = np.random.default_rng(seed)
    is_person = crops["truth"] == 1  # an unlabelled crop is judged as if not the person
    count = len(bands)
    approve_votes, reject_votes = np.zeros(count, int), np.zeros(count, int)
    status = np.zeros(count, int)  # 0 pending, 1 approved, -1 rejected
    needed = np.full(count, CONSENSUS)
    if mode == "trust":
        status[(bands == "not_face") & ~blind] = -1
        needed[(bands == "likely") & ~blind] = 1
    decisions = 0
    rank = {"not_face": 0, "other": 1, "look": 2, "likely": 3}
    ranks = np.array([rank[band] if mode != "off" else 0 for band in bands])
    ranks[blind & (mode != "off")] = 2
    while (status == 0).any():
        for identity in np.unique(crops["identity"][status == 0]):
            waiting = np.flatnonzero((status == 0) & (crops["identity"] == identity))
            waiting = waiting[np.lexsort((waiting, ranks[waiting]))]
            for start in range(0, len(waiting), BATCH_SIZE):
                batch = waiting[start : start + BATCH_SIZE]
                judged_right = is_person[batch] ^ (generator.random(len(batch)) < error)
                if mode == "off":
                    decisions += len(batch)
                else:
                    decisions += int((~judged_right).sum()) + int(judged_right.any())
                approve_votes[batch] += judged_right
                reject_votes[batch] += ~judged_right
                lead = np.maximum(approve_votes[batch], reject_votes[batch])
                decided = (lead >= needed[batch]) & (approve_votes[batch] != reject_votes[batch])
                status[batch[decided]] = np.where(
                    approve_votes[batch[decided]] > reject_votes[batch[decided]], 1, -1
                )
    precision, recall = precision_recall(status == 1, crops["truth"])
    votes = (approve_votes + reject_votes).sum()
    return {"decisions": decisions / count, "votes": votes / count, "precision": precision, "recall": recall}


def scoring_time(face_total: int, faces: dict) -> None:
    """Time the job's scoring of `face_total` new crops, and FaceNet's embedding of real ones.

    1. Scoring: a migrated throwaway database with face_total pending crops in identities
       of 20 (5 photos of 4 faces each), whose assessments hold the CelebA set's real vectors
       (repeated); time identities_assess, the job's step after embedding: read the vectors,
       cores, scores, bands, and the bulk update.
    2. The gallery: approve every crop and time gallery_sync with FaceNet's gallery, which
       takes each crop's vector from its assessment (the rows have no image files, so any
       crop it tried to embed would count as unreadable). The fused gallery (the default)
       also embeds dlib's half from each crop file: benchmarks/dlib_fusion.py cost times it.
    3. Embedding: FaceNet on 128 chips (random pixels: its time does not depend on them) in the
       job's batches of 64, extrapolated to
       face_total; the embedder cannot be sped up here, only batched.
    """
    from bench_rows import photos_and_faces_create
    from django.core.management import call_command
    from django.test import override_settings
    from django.utils import timezone

    from identities.models import Face, FaceAssessment, Identity
    from recognition.gallery.sync import gallery_sync
    from recognition.services.review_assist import identities_assess

    call_command("migrate", interactive=False, verbosity=0)
    identities = Identity.objects.bulk_create(
        Identity(name=f"Person {number}") for number in range(face_total // 20)
    )
    plans = [["pending"] * 20 for _ in identities]
    photos_and_faces_create(identities, plans, photos_each=5, detector="yunet", generator=random.Random(0))
    now, vectors = timezone.now(), faces["vector"]
    FaceAssessment.objects.bulk_create(
        (
            FaceAssessment(
                face_id=face_id, embedder="facenet", vector=vectors[index % len(vectors)].tobytes(),
                crop_file=crop_file, band="look", rank=2, core_score=0.0, core_source="", size=100,
                confidence=0.9, sharpness=100.0, computed_at=now,
            )
            for index, (face_id, crop_file) in enumerate(Face.objects.values_list("pk", "file"))
        ),
        batch_size=2000,
    )  # fmt: skip
    started = time.perf_counter()
    scored = identities_assess({identity.pk for identity in identities}, now=now)
    print(
        f"Scoring {scored:,} new crops of {len(identities):,} identities (SQLite): "
        f"{time.perf_counter() - started:.1f} s"
    )

    Face.objects.update(status="approved", decided_at=now)
    started = time.perf_counter()
    with override_settings(FACESITE_GALLERY_EMBEDDER="facenet"):
        summary = gallery_sync()
    print(
        f"FaceNet gallery rows for the {face_total:,} crops once approved: "
        f"{time.perf_counter() - started:.1f} s, "
        f"{summary['from_review']:,} vectors taken from review assistance, {summary['embedded']} embedded, "
        f"{summary['unreadable']} unreadable"
    )

    from recognition.embedders.facenet import facenet_embedder

    embedder = facenet_embedder()
    chips = [np.random.default_rng(0).integers(0, 255, (160, 160, 3), dtype=np.uint8)] * 128
    embedder.embed_chips(chips[:8])  # the graph loads and warms up
    started = time.perf_counter()
    for start in range(0, len(chips), 64):
        embedder.embed_chips(chips[start : start + 64])
    per_chip = (time.perf_counter() - started) / len(chips)
    print(
        f"FaceNet embedding: {1000 * per_chip:.0f} ms a crop in batches of 64, "
        f"so {face_total:,} crops take about {per_chip * face_total:.0f} s on this machine; paid once "
        "per crop, shared with the gallery, which would embed every approved crop anyway"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "review_effort_faces.npz")
    parser.add_argument("--noise", type=float, default=0.15, help="share of each folder's photos of others")
    parser.add_argument("--error", type=float, default=0.02, help="how often a reviewer judges a crop wrong")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=int, default=0, help="also time scoring this many new crops")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as work_dir:
        django_setup(sqlite_url(Path(work_dir)), Path(work_dir), migrate=False)
        faces = faces_detect_and_embed(arguments.data_dir / "celeba_subset" / "images", arguments.cache)
        from recognition.gallery.assist import crops_assess, is_blind_check
        from recognition.services.review_assist import review_assist_bars

        crops = noisy_set(faces, arguments.noise, arguments.seed)
        rows, truth = crops["row"], crops["truth"]
        photos_without_face = len(faces["photo_labels"]) - len(np.unique(faces["photo"]))
        print(
            f"Noisy set: {len(rows)} crops of {len(np.unique(crops['identity']))} identities, "
            f"{(truth == 1).sum()} their person, {(truth == 0).sum()} not, {(truth == -1).sum()} unlabelled "
            f"(in {crops['unlabelled_photos']} photos whose two largest faces are within "
            f"{AMBIGUOUS_SIZE:.0%}); "
            f"{photos_without_face} of {len(faces['photo_labels'])} photos had no face found, so no crop."
        )
        # Every identity's crops are scored at once, so each crop is compared with every other core.
        bars = review_assist_bars(compared=len(np.unique(crops["identity"])) - 1)
        started = time.perf_counter()
        assessment = crops_assess(
            vectors=faces["vector"][rows],
            identity_ids=crops["identity"],
            photo_ids=crops["photo"],
            sizes=faces["height"][rows],
            confidences=faces["confidence"][rows],
            sharpness=faces["sharpness"][rows],
            bars=bars,
        )
        print(
            f"Scored {len(rows)} crops in {time.perf_counter() - started:.2f} s "
            f"(bars: likely >= {bars.likely:.3f}, other < {bars.other:.3f}, a lookalike claims at "
            f">= {bars.lookalike:.3f})"
        )
        bands = assessment.bands
        print("\nBands alone, no human:")
        for band in ("likely", "look", "other", "not_face"):
            members = bands == band
            labelled = members & (truth >= 0)
            share = (truth[labelled] == 1).mean() if labelled.any() else float("nan")
            print(f"  {band:9} {members.sum():5} crops, {share:6.1%} of the labelled ones are the person")
        precision, recall = precision_recall(bands == "likely", truth)
        print(f"  likely-right band as the approved set: precision {precision:.2%}, recall {recall:.2%}")
        rejected = np.isin(bands, ["other", "not_face"])
        rejected_labelled = rejected & (truth >= 0)
        print(
            "  likely-not bands as the rejected set: "
            f"{(truth[rejected_labelled] == 0).mean():.2%} are not the person, "
            f"{(truth[rejected] == 1).sum()} of {(truth == 1).sum()} true faces among them"
        )
        blind = np.array([is_blind_check(index + 1) for index in range(len(rows))]) & (bands == "likely")
        print(
            f"\nReviewers (each judgement wrong {arguments.error:.0%} of the time), "
            f"{blind.sum()} blind checks:"
        )
        print(f"  {'mode':8} {'decisions/crop':>15} {'votes/crop':>11} {'precision':>10} {'recall':>8}")
        results = {}
        for mode in ("off", "suggest", "trust"):
            result = reviewers_simulate(crops, bands, blind, mode, arguments.error, arguments.seed)
            results[mode] = result
            print(
                f"  {mode:8} {result['decisions']:15.3f} {result['votes']:11.3f} "
                f"{result['precision']:10.2%} {result['recall']:8.2%}"
            )
        off, trust = results["off"], results["trust"]
        band_precision, _ = precision_recall(bands == "likely", truth)
        targets = [
            ("trust needs >= 3x fewer decisions than off", off["decisions"] >= 3 * trust["decisions"]),
            ("trust precision >= off's and >= 99%", trust["precision"] >= max(off["precision"], 0.99)),
            ("trust recall >= 97%", trust["recall"] >= 0.97),
            ("likely-right band alone: precision >= 98%", band_precision >= 0.98),
        ]
        print()
        for label, met in targets:
            print(f"  {'met    ' if met else 'NOT met'} {label}")
        if arguments.scale:
            print()
            scoring_time(arguments.scale, faces)


if __name__ == "__main__":
    sys.exit(main())
