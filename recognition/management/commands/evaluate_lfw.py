from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from facesite.errors import FacesiteError
from pipeline.detection import DETECTORS, RECOGNITION_DETECTOR
from recognition.embedders.pretrained import PRETRAINED, pretrained_embedder


class Command(BaseCommand):
    help = (
        "Run the LFW View 2 protocol (10 folds; threshold chosen on 9, tested on the 10th) with the "
        "gallery's FaceNet embeddings (or another embedder's), each face found by a detector "
        "(recognition's unless told) and cut as an upload is, and print "
        "mean accuracy, its standard deviation and TAR at FAR=0.001."
    )

    def add_arguments(self, parser):
        parser.add_argument("pairs_file", type=Path, help="LFW pairs.txt.")
        parser.add_argument("images_dir", type=Path, help="Folder of <Name>/<Name>_0001.jpg images.")
        parser.add_argument("--limit-folds", type=int, help="Only the first N folds (quicker).")
        parser.add_argument(
            "--cache",
            type=Path,
            help="An .npz of embeddings to reuse and extend (one per detector and embedder).",
        )
        parser.add_argument(
            "--embedder",
            default="facenet",
            choices=sorted(PRETRAINED),
            help="The embedder whose chips are compared (facenet).",
        )
        parser.add_argument(
            "--detector",
            default=RECOGNITION_DETECTOR,
            help=f"Face detector whose boxes the chips are cut from: {', '.join(sorted(DETECTORS))} "
            f"({RECOGNITION_DETECTOR}, recognition's).",
        )

    def handle(self, *args, pairs_file, images_dir, limit_folds, cache, detector, embedder, **options):
        from recognition.ml.lfw import lfw_evaluate, lfw_pairs_read
        from recognition.services.lfw import lfw_paths_embed

        try:
            pairs = lfw_pairs_read(pairs_file, limit_folds=limit_folds)
            report = lfw_evaluate(
                pairs=pairs,
                embed_paths=lambda paths: lfw_paths_embed(
                    images_dir,
                    paths,
                    detector_name=detector,
                    embedder=pretrained_embedder(embedder),
                    cache_file=cache,
                    log=self.stdout.write,
                ),
            )
        except FacesiteError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{report.folds} folds, {report.pairs} pairs, {report.images} images")
        for title, result in (
            (
                "Cosine after subtracting the training folds' mean (FaceNet's protocol)",
                report.mean_subtracted,
            ),
            ("Plain cosine, as the gallery and verification score", report.plain),
        ):
            self.stdout.write(f"{title}:")
            self.stdout.write(
                f"  Accuracy: {100 * result.accuracy_mean:.2f}% ± {100 * result.accuracy_std:.2f}"
            )
            self.stdout.write(
                f"  TAR at FAR=0.001: {100 * result.tar_mean:.2f}% ± {100 * result.tar_std:.2f} "
                f"(test FAR {100 * result.far_mean:.3f}%)"
            )
            threshold = sum(result.thresholds) / len(result.thresholds)
            self.stdout.write(f"  Threshold (cosine, mean over folds): {threshold:.3f}")
            self.stdout.write(
                "  Per fold: " + " ".join(f"{100 * accuracy:.2f}" for accuracy in result.fold_accuracies)
            )
        label = pretrained_embedder(embedder).label
        self.stdout.write(
            f"Speed: {report.images_per_second:.1f} images/s ({detector} and {label}, this machine)"
        )
