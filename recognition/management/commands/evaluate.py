from django.core.management.base import BaseCommand, CommandError

from facesite.errors import FacesiteError
from pipeline.services import job_run_inline, job_target_key
from recognition.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Evaluate a trained model again on its dataset's test split and print the figures: top-1, "
        "top-5, the unknown threshold and rejection rate, and the most-confused identities."
    )

    def add_arguments(self, parser):
        parser.add_argument("model_id", type=int)

    def handle(self, *args, model_id, **options):
        model_version = ModelVersion.objects.filter(pk=model_id).first()
        if model_version is None:
            raise CommandError(f"There is no model {model_id}.")
        try:
            job_run_inline(
                kind="evaluate",
                parameters={"model_version_id": model_version.pk},
                label=str(model_version),
                target_key=job_target_key(model_version),
                on_line=lambda line: None,
            )
        except FacesiteError as error:
            raise CommandError(str(error)) from None
        model_version.refresh_from_db()
        self._report(model_version.metrics)

    def _report(self, metrics: dict) -> None:
        write = self.stdout.write
        write(f"Test faces: {metrics['test_faces']}")
        write(f"Top-1 accuracy: {metrics['top1']:.4f}")
        write(f"Top-5 accuracy: {metrics['top5']:.4f}")
        if "baseline_nearest_centroid" in metrics:
            baseline = metrics["baseline_nearest_centroid"]
            write(f"Nearest-centroid baseline: top-1 {baseline['top1']:.4f}, top-5 {baseline['top5']:.4f}")
        unknown = metrics["unknown"]
        write(f"Unknown threshold: {unknown['threshold']} ({unknown['rule']})")
        rate = unknown["rejection_rate"]
        write(f"Unknown faces rejected: {'—' if rate is None else f'{rate:.4f}'}, {unknown['note']}")
        write("Most-confused identities (true -> predicted, test faces):")
        for pair in metrics["confused_pairs"] or []:
            write(f"  {pair['true']} -> {pair['predicted']}: {pair['count']}")
        if not metrics["confused_pairs"]:
            write("  none")
