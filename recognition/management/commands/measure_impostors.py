from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from facesite.errors import FacesiteError
from pipeline.detection import RECOGNITION_DETECTOR
from recognition.gallery.thresholds import IMPOSTOR_MODEL_FILES


class Command(BaseCommand):
    help = (
        "Measure an embedder's impostor model (what a stranger scores against other people's faces) on the "
        "people of LFW's first folds, and write it where recognition reads it. The remaining folds' "
        "people are left for reporting (benchmarks/open_set.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("pairs_file", type=Path, help="LFW pairs.txt.")
        parser.add_argument("images_dir", type=Path, help="Folder of <Name>/<Name>_0001.jpg images.")
        parser.add_argument(
            "--folds", type=int, default=5, help="Measure on the people of the first N folds (5 of 10)."
        )
        parser.add_argument("--cache", type=Path, help="An .npz of embeddings to reuse (evaluate_lfw's).")
        parser.add_argument(
            "--embedder",
            default="facenet",
            choices=sorted(IMPOSTOR_MODEL_FILES),
            help="Whose impostor model (facenet).",
        )
        parser.add_argument(
            "--output", type=Path, help="Where to write it (the embedder's impostor model file)."
        )

    def handle(self, *args, pairs_file, images_dir, folds, cache, embedder, output, **options):
        from recognition.embedders.pretrained import pretrained_embedder
        from recognition.ml.impostors import measure
        from recognition.ml.lfw import lfw_pairs_read
        from recognition.services.lfw import lfw_people_embed

        output = output or IMPOSTOR_MODEL_FILES[embedder]
        try:
            vectors, labels = lfw_people_embed(
                images_dir,
                lfw_pairs_read(pairs_file, limit_folds=folds),
                detector_name=RECOGNITION_DETECTOR,
                embedder=pretrained_embedder(embedder),
                cache_file=cache,
                log=self.stdout.write,
            )
        except FacesiteError as error:
            raise CommandError(str(error)) from None
        model = measure(
            vectors,
            labels,
            source=f"LFW view 2, the people of folds 1-{folds}, {RECOGNITION_DETECTOR} faces, {embedder}",
        )
        model.save(output)
        self.stdout.write(f"{model.source}")
        for identities, faces in ((1, 1), (10, 1), (10, 5), (100, 5), (1000, 10)):
            threshold = model.threshold([faces] * identities, far=0.01)
            self.stdout.write(
                f"  {identities:>5} identities of {faces:>2} faces: {threshold:.3f} at 1% strangers named"
            )
        self.stdout.write(f"Wrote {output}")
