"""How far one detector's boxes sit from MTCNN's, around which FaceNet's chip is cut.

Usage:
    .venv/bin/python benchmarks/crop_throughput.py --detectors mtcnn,yunet --boxes boxes.json
    .venv/bin/python benchmarks/chip_fit.py boxes.json [--detector yunet]

FaceNet was trained on faces cut around MTCNN boxes, so a box of another detector must
frame a face as MTCNN's does (YuNet's are moved there by MTCNN's O-net, see
pipeline.detection.OnetBoxRefiner). This measures what is left to move:

1. Pair each face the detector found with the MTCNN face of the same photo that overlaps
   it most, if their intersection over union is at least 0.5.
2. For each pair, measure their overlap, how far MTCNN's box centre lies from the detector's (as a
   fraction of the detector box's height) and the ratio of their widths and heights.
3. Print the median of each (robust to the odd mismatched pair; 0 and 1 where the boxes
   sit on MTCNN's), and the photos where only one detector found a face, to look at for
   missed and false faces.

The CelebA subset is used for this, so LFW stays for reporting only.
"""

import argparse
import json
import statistics
from pathlib import Path


def overlap(first: list[float], second: list[float]) -> float:
    """Intersection over union of two (left, top, width, height) boxes."""
    left, top = max(first[0], second[0]), max(first[1], second[1])
    right = min(first[0] + first[2], second[0] + second[2])
    bottom = min(first[1] + first[3], second[1] + second[3])
    inter = max(0, right - left) * max(0, bottom - top)
    return inter / (first[2] * first[3] + second[2] * second[3] - inter)


def box_pairs(found: dict, detector: str) -> list[tuple[list[float], list[float]]]:
    """(detector box, MTCNN box) of each face both found (step 1)."""
    pairs = []
    for photo, faces in found[detector].items():
        mtcnn_boxes = [face["box"] for face in found["mtcnn"][photo]]
        for face in faces:
            best = max(mtcnn_boxes, key=lambda box: overlap(face["box"], box), default=None)
            if best is not None and overlap(face["box"], best) >= 0.5:
                pairs.append((face["box"], best))
    return pairs


def fit_print(pairs: list[tuple[list[float], list[float]]]) -> None:
    """Steps 2 and 3: the median shift and scale, with their spread."""
    measures = {"x_shift": [], "y_shift": [], "width_scale": [], "height_scale": []}
    for (left, top, width, height), (m_left, m_top, m_width, m_height) in pairs:
        measures["x_shift"].append((m_left + m_width / 2 - left - width / 2) / height)
        measures["y_shift"].append((m_top + m_height / 2 - top - height / 2) / height)
        measures["width_scale"].append(m_width / width)
        measures["height_scale"].append(m_height / height)
    mean_overlap = statistics.mean(overlap(box, mtcnn_box) for box, mtcnn_box in pairs)
    print(f"{len(pairs)} faces found by both; mean IoU with MTCNN's box {mean_overlap:.3f}")
    for name, values in measures.items():
        quartiles = statistics.quantiles(values, n=4)
        median = statistics.median(values)
        print(f"  {name}: median {median:.3f} (quartiles {quartiles[0]:.3f} - {quartiles[2]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("boxes", type=Path, help="JSON written by crop_throughput.py --boxes")
    parser.add_argument("--detector", default="yunet")
    arguments = parser.parse_args()
    found = json.loads(arguments.boxes.read_text())
    fit_print(box_pairs(found, arguments.detector))
    for first, second in (("mtcnn", arguments.detector), (arguments.detector, "mtcnn")):
        alone = sorted(photo for photo in found[first] if found[first][photo] and not found[second][photo])
        print(f"photos with a face from {first} and none from {second}: {len(alone)}")
        for photo in alone:
            print(f"  {photo}")


if __name__ == "__main__":
    main()
