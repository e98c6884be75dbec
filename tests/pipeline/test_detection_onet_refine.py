"""YuNet's boxes are moved onto MTCNN's by MTCNN's own O-net (OnetBoxRefiner), since
FaceNet's chip is cut as around an MTCNN box; a box the photo's edge clips away is kept."""

import numpy as np
import pytest

from pipeline.detection import DetectedFace, OnetBoxRefiner, detector_get
from tests.pipeline.detected_faces import PHOTOS, largest, overlap, rgb_pixels


def as_face(box) -> DetectedFace:
    return DetectedFace(*(round(value) for value in box))


@pytest.mark.parametrize("photo", PHOTOS[:3], ids=lambda path: path.name)
def test_a_box_off_the_face_is_moved_back_onto_mtcnns(photo):
    pixels = rgb_pixels(photo)
    mtcnn_face = largest(detector_get("mtcnn").detect(pixels))
    left, top, width, height = mtcnn_face.box
    # Shifted right and down by a tenth of the face and a fifth too small.
    proposal = (left + 0.2 * width, top + 0.2 * height, 0.8 * width, 0.8 * height)

    [refined], [landmarks] = OnetBoxRefiner().refine(pixels, np.array([proposal]))

    assert overlap(as_face(proposal), mtcnn_face) < 0.65
    assert overlap(as_face(refined), mtcnn_face) > 0.85
    # MTCNN's landmarks, placed by the same network from the refined proposal.
    for (x, y), name in zip(landmarks, detector_get("mtcnn").landmark_names, strict=True):
        mtcnn_x, mtcnn_y = mtcnn_face.landmarks[name]
        assert abs(x - mtcnn_x) < 0.08 * width and abs(y - mtcnn_y) < 0.08 * height


def test_a_refined_box_stays_inside_the_photo():
    pixels = rgb_pixels(PHOTOS[0])
    height, width = pixels.shape[:2]

    [refined], _ = OnetBoxRefiner().refine(pixels, np.array([(-40.0, -40.0, 120.0, 120.0)]))

    left, top, box_width, box_height = refined
    assert left >= 0 and top >= 0
    assert left + box_width <= width - 1 and top + box_height <= height - 1


def test_yunet_faces_keep_yunets_scores_with_refined_boxes_and_onets_landmarks():
    pixels = rgb_pixels(PHOTOS[0])

    face = largest(detector_get("yunet").detect(pixels))

    assert face.detector == "yunet" and 0.7 <= face.confidence <= 1.0
    eyes_x = face.landmarks["left_eye"][0], face.landmarks["right_eye"][0]
    assert face.left < min(eyes_x) and max(eyes_x) < face.left + face.width
