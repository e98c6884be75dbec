from django.core.management.base import BaseCommand


class _PrintProgress:
    """The sync's steps as lines; batch counts every so often."""

    def __init__(self, stdout) -> None:
        self.stdout = stdout

    def step(self, text: str) -> None:
        self.stdout.write(text)

    def advance(self, done: int, total: int | None = None, summary: dict | None = None) -> None:
        self.stdout.write(f"  {done}/{total}")

    def log(self, line: str) -> None:
        self.stdout.write(line)

    def describe(self, text: str) -> None:
        pass


class Command(BaseCommand):
    help = (
        "Bring the recognition gallery up to date here and now: embed approved faces that have no "
        "FaceNet embedding (and none of the active model's, with FACESITE_GALLERY_EMBEDDER="
        "active-model), delete embeddings of faces no longer approved. Incremental; the gallery "
        "job does the same after every review decision or import."
    )

    def handle(self, *args, **options):
        from recognition.gallery.cache import gallery_size
        from recognition.gallery.sync import gallery_sync

        summary = gallery_sync(progress=_PrintProgress(self.stdout))
        self.stdout.write(
            f"Embedded {summary['embedded']} faces, removed {summary['removed']} embeddings, "
            f"{summary['unreadable']} crops unreadable; the gallery holds {gallery_size()} faces."
        )
        if "model_error" in summary:
            self.stderr.write(summary["model_error"])
