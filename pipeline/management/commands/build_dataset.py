import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from facesite.errors import FacesiteError
from pipeline.datasets import DatasetRules, dataset_build, dataset_create

# Left-out identities listed on the terminal; a scrape of thousands of names would flood it.
LEFT_OUT_SHOWN = 20


class _BarProgress:
    """The build's progress reports as a tqdm bar on a terminal, and its steps as lines."""

    def __init__(self, bar: tqdm, stdout) -> None:
        self.bar, self.stdout = bar, stdout

    def step(self, text: str) -> None:
        self.bar.write(text, file=sys.stderr)

    def advance(self, done: int, total: int | None = None, summary: dict | None = None) -> None:
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def log(self, line: str) -> None:
        self.stdout.write(line)

    def describe(self, text: str) -> None:
        self.bar.set_description(text)


class Command(BaseCommand):
    help = (
        "Build a dataset version here and now (the same rules as the Datasets page): identities with "
        "enough approved faces, sampled down or balanced to a number per identity, split per identity "
        "into training, validation and test before any reuse."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-faces", type=int, help="Leave out identities with fewer approved faces (default 30)."
        )
        parser.add_argument("--per-identity", type=int, help="Faces per identity (default 50).")
        parser.add_argument(
            "--split", default="70/20/10", help="Training/validation/test percentages (70/20/10)."
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Same faces and seed give the same manifest (0)."
        )
        parser.add_argument("--name", default="", help="A name for the version, shown in lists.")

    def handle(self, *args, min_faces, per_identity, split, seed, name, **options):
        try:
            rules = DatasetRules.with_defaults(
                min_faces=min_faces, per_identity=per_identity, split=split, seed=seed
            )
        except FacesiteError as error:
            raise CommandError(str(error)) from None
        dataset = dataset_create(rules=rules, name=name)
        # The bar redraws itself with carriage returns, which only makes sense on a terminal.
        with tqdm(unit="identity", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
            try:
                dataset = dataset_build(dataset=dataset, progress=_BarProgress(bar, self.stdout))
            except FacesiteError as error:
                raise CommandError(f"{dataset} failed: {error}") from None
        summary = dataset.summary
        self.stdout.write(f"Built {dataset}: {summary['train_weighted']} weighted training images.")
        left_out = summary["left_out"]
        for row in left_out[:LEFT_OUT_SHOWN]:
            self.stdout.write(f"  left out {row['name']}: {row['reason']}")
        if len(left_out) > LEFT_OUT_SHOWN:
            self.stdout.write(
                f"  and {len(left_out) - LEFT_OUT_SHOWN} more left out (the Datasets page lists all)."
            )
        if summary["diff"]:
            diff = summary["diff"]
            self.stdout.write(
                f"Against v{diff['previous_id']}: {len(diff['identities_added'])} identities added, "
                f"{len(diff['identities_removed'])} removed; {diff['faces_added']} faces added, "
                f"{diff['faces_removed']} removed."
            )
