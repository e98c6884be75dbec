"""YuNet beside MTCNN: the same faces, and one OpenMP thread (see YunetDetector.threads)."""

import ctypes
import os
from pathlib import Path

import pytest

from pipeline.detection import detector_get
from tests.pipeline.detected_faces import PHOTOS, largest, overlap, rgb_pixels


@pytest.mark.parametrize("photo", PHOTOS, ids=lambda path: path.name)
def test_yunet_and_mtcnn_agree_on_where_the_face_is(photo):
    pixels = rgb_pixels(photo)

    yunet_face = largest(detector_get("yunet").detect(pixels))
    mtcnn_face = largest(detector_get("mtcnn").detect(pixels))

    assert overlap(yunet_face, mtcnn_face) > 0.6


def test_yunet_runs_one_openmp_thread_and_leaves_the_process_setting_alone(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    detector_get("yunet")
    maps = Path("/proc/self/maps").read_text().split()
    [libgomp] = {path for path in maps if "/yuface.libs/libgomp" in path}

    assert ctypes.CDLL(libgomp).omp_get_max_threads() == 1
    assert "OMP_NUM_THREADS" not in os.environ
