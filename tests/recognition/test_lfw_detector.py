"""evaluate_lfw --detector: the chips are cut from that detector's boxes, and a cache holds
one detector's chips, so a run with another detector never reuses them."""

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

CELEBA = Path(__file__).parents[1] / "fixtures" / "celeba"


@pytest.fixture
def lfw_like(tmp_path) -> tuple[Path, Path]:
    """A pairs file of one fold and two fixture people laid out as LFW names their files."""
    images = tmp_path / "lfw"
    for person in ("7221", "7271"):
        (images / f"P{person}").mkdir(parents=True)
        for number, photo in enumerate(sorted((CELEBA / person).glob("*.jpg"))[:2], start=1):
            shutil.copy(photo, images / f"P{person}" / f"P{person}_{number:04d}.jpg")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("1\t2\nP7221\t1\t2\nP7271\t1\t2\nP7221\t1\tP7271\t1\nP7221\t2\tP7271\t2\n")
    return pairs, images


def evaluate(pairs: Path, images: Path, *options: str) -> str:
    output = io.StringIO()
    call_command("evaluate_lfw", str(pairs), str(images), *options, stdout=output)
    return output.getvalue()


@pytest.mark.django_db
def test_each_detector_gets_its_own_cache(lfw_like, tmp_path):
    pairs, images = lfw_like
    yunet_cache, mtcnn_cache = tmp_path / "yunet.npz", tmp_path / "mtcnn.npz"

    yunet = evaluate(pairs, images, "--cache", str(yunet_cache))
    evaluate(pairs, images, "--detector", "mtcnn", "--cache", str(mtcnn_cache))

    # Recognition's detector, YuNet, unless told.
    assert "1 folds, 4 pairs, 4 images" in yunet and "(yunet and FaceNet" in yunet
    assert "4 from the cache" in evaluate(pairs, images, "--detector", "yunet", "--cache", str(yunet_cache))
    with pytest.raises(
        CommandError, match="holds embeddings of other chips .*give each detector and embedder"
    ):
        evaluate(pairs, images, "--detector", "yunet", "--cache", str(mtcnn_cache))


@pytest.mark.django_db
def test_each_embedder_gets_its_own_cache(lfw_like, tmp_path):
    pairs, images = lfw_like
    facenet_cache, fused_cache = tmp_path / "facenet.npz", tmp_path / "fused.npz"

    evaluate(pairs, images, "--cache", str(facenet_cache))
    fused = evaluate(pairs, images, "--embedder", "facenet-dlib", "--cache", str(fused_cache))

    assert "(yunet and FaceNet + dlib" in fused
    assert np.load(fused_cache)["vectors"].shape == (4, 640)
    with pytest.raises(CommandError, match=r"holds embeddings of other chips \(yunet .* margin 0.13\)"):
        evaluate(pairs, images, "--embedder", "facenet-dlib", "--cache", str(facenet_cache))


def test_an_unknown_detector_is_named_with_the_choices(lfw_like):
    pairs, images = lfw_like

    with pytest.raises(
        CommandError, match="Unknown detector 'dlib'; choose one of: haar, mtcnn, none, yunet"
    ):
        evaluate(pairs, images, "--detector", "dlib")
