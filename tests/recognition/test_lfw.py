"""The LFW protocol: pairs parsing, fold structure, thresholds chosen on the other folds,
TAR at a FAR, and the evaluate_lfw command end to end on a tiny LFW-like folder."""

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recognition.ml.lfw import lfw_folds_evaluate, lfw_pairs_read
from recognition.ml.scores import best_threshold, threshold_at_far

CELEBA = Path(__file__).parents[1] / "fixtures" / "celeba"


def test_best_threshold_separates_known_scores():
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    same = np.array([False, False, True, True, True])
    assert best_threshold(scores, same) == pytest.approx(0.25)


def test_best_threshold_takes_the_most_accurate_cut_when_classes_overlap():
    # Cutting at 0.35 gets 5 of 6 right (the 0.6 impostor is wrong); no cut does better.
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7])
    same = np.array([False, False, False, True, False, True])
    threshold = best_threshold(scores, same)
    assert np.mean((scores >= threshold) == same) == pytest.approx(5 / 6)


def test_threshold_at_far_lets_through_at_most_that_share_of_impostors():
    impostors = np.random.default_rng(0).uniform(-1, 1, size=3000)
    threshold = threshold_at_far(impostors, 0.001)
    assert np.mean(impostors >= threshold) <= 0.001
    assert np.mean(impostors >= threshold - 0.01) > 0


def test_each_fold_is_tested_with_a_threshold_from_the_other_folds():
    # Three folds of two genuine and two impostor pairs. Fold 2's genuine pairs score low
    # (0.3, 0.4): trained on folds 0 and 1 (genuine 0.8-0.9, impostors 0-0.1) the
    # threshold is 0.45 and misses both; folds 0 and 1, trained with fold 2, get 0.2.
    scores = np.array([0.9, 0.8, 0.1, 0.0, 0.9, 0.8, 0.1, 0.0, 0.3, 0.4, 0.1, 0.0])
    same = np.tile([True, True, False, False], 3)
    folds = np.repeat([0, 1, 2], 4)
    first = np.tile([1.0, 0.0], (12, 1))
    second = np.stack([scores, np.sqrt(1 - scores**2)], axis=1)

    figures = lfw_folds_evaluate(first, second, same, folds, subtract_mean=False)

    assert figures["accuracies"] == pytest.approx([1.0, 1.0, 0.5])
    assert figures["thresholds"] == pytest.approx([0.2, 0.2, 0.45])


def write_pairs(path: Path, folds: list[list[str]], per_half: int) -> None:
    path.write_text(
        f"{len(folds)}\t{per_half}\n"
        + "".join("\t".join(line.split()) + "\n" for fold in folds for line in fold)
    )


def test_pairs_file_folds_and_limit(tmp_path):
    fold = ["Ada 1 2", "Bea 1 2", "Ada 1 Bea 2", "Bea 1 Ada 2"]
    write_pairs(tmp_path / "pairs.txt", [fold, fold, fold], per_half=2)

    pairs = lfw_pairs_read(tmp_path / "pairs.txt")
    assert [pair.fold for pair in pairs] == [0] * 4 + [1] * 4 + [2] * 4
    assert [pair.same for pair in pairs[:4]] == [True, True, False, False]
    assert pairs[2].first == "Ada/Ada_0001.jpg" and pairs[2].second == "Bea/Bea_0002.jpg"
    assert len(lfw_pairs_read(tmp_path / "pairs.txt", limit_folds=2)) == 8


def test_a_pairs_file_with_the_wrong_count_is_refused(tmp_path):
    (tmp_path / "pairs.txt").write_text("10\t300\nAda\t1\t2\n")
    with pytest.raises(CommandError, match="announces 10x600 pairs but has 1"):
        call_command("evaluate_lfw", str(tmp_path / "pairs.txt"), str(tmp_path))


def lfw_like_folder(root: Path) -> Path:
    """Two fixture people laid out as LFW names their files: Name/Name_0001.jpg."""
    for person in ("7221", "7271"):
        name = f"P{person}"
        (root / name).mkdir(parents=True)
        for number, photo in enumerate(sorted((CELEBA / person).glob("*.jpg")), start=1):
            shutil.copy(photo, root / name / f"{name}_{number:04d}.jpg")
    return root


@pytest.mark.django_db
def test_the_command_runs_the_protocol_and_caches_embeddings(tmp_path):
    images = lfw_like_folder(tmp_path / "lfw")
    fold_a = ["P7221 1 2", "P7271 1 2", "P7221 1 P7271 1", "P7221 2 P7271 3"]
    fold_b = ["P7221 2 3", "P7271 2 3", "P7221 3 P7271 2", "P7221 1 P7271 3"]
    write_pairs(tmp_path / "pairs.txt", [fold_a, fold_b], per_half=2)
    cache = tmp_path / "embeddings.npz"
    output = io.StringIO()

    call_command(
        "evaluate_lfw", str(tmp_path / "pairs.txt"), str(images), "--cache", str(cache), stdout=output
    )

    text = output.getvalue()
    assert "2 folds, 8 pairs, 6 images" in text
    accuracy = float(text.split("Accuracy: ")[1].split("%")[0]) / 100
    assert 0.0 <= accuracy <= 1.0
    assert "TAR at FAR=0.001" in text
    assert sorted(np.load(cache)["paths"]) == sorted(
        str(path.relative_to(images)) for path in images.glob("*/*.jpg")
    )

    again = io.StringIO()
    call_command(
        "evaluate_lfw", str(tmp_path / "pairs.txt"), str(images), "--cache", str(cache), stdout=again
    )
    assert "6 from the cache" in again.getvalue()
