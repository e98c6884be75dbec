from django.core.management.base import BaseCommand, CommandError

from facesite.errors import FacesiteError
from pipeline.augmentation import AugmentationConfig
from pipeline.models import DatasetVersion
from pipeline.services import job_run_inline, job_target_key
from recognition.architectures.config import TrainingConfig
from recognition.architectures.registry import ARCHITECTURES
from recognition.models import ModelVersion
from recognition.services.training import model_version_create

DEFAULTS = TrainingConfig()


class Command(BaseCommand):
    help = (
        "Train a model on a dataset version here and now, printing each epoch (the same service as "
        "the Models page), then evaluate it on the test split. --resume carries on a failed model "
        "from its last finished epoch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", type=int, help="Id of a ready dataset version.")
        parser.add_argument(
            "--architecture", choices=ARCHITECTURES, default=DEFAULTS.architecture, help="(small_cnn)"
        )
        parser.add_argument("--epochs", type=int, default=DEFAULTS.epochs, help="At most (60).")
        parser.add_argument("--input-size", type=int, default=DEFAULTS.input_size, help="Pixels (96).")
        parser.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size, help="(32)")
        parser.add_argument("--learning-rate", type=float, default=DEFAULTS.learning_rate, help="(0.001)")
        parser.add_argument(
            "--target-accuracy", type=float, default=DEFAULTS.target_accuracy, help="Stop there (0.97)."
        )
        parser.add_argument("--patience", type=int, default=DEFAULTS.patience, help="(5)")
        parser.add_argument(
            "--per-identity",
            type=int,
            default=AugmentationConfig().target_per_identity,
            help="Training images per identity in one epoch (500).",
        )
        parser.add_argument("--seed", type=int, default=DEFAULTS.seed, help="(0)")
        parser.add_argument("--name", default="", help="A name for the model, shown in lists.")
        parser.add_argument("--resume", type=int, metavar="MODEL_ID", help="Carry on a failed model instead.")

    def handle(self, *args, dataset, resume, name, **options):
        try:
            model_version = self._resumed(resume) if resume else self._created(dataset, name, options)
            self.stdout.write(f"Training {model_version} (files in MEDIA_ROOT/{model_version.artifact_dir})")
            _, summary = job_run_inline(
                kind="train",
                parameters={"model_version_id": model_version.pk},
                label=str(model_version),
                target_key=job_target_key(model_version),
                on_line=self.stdout.write,
            )
        except FacesiteError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Model {model_version.pk} is ready: " + ", ".join(f"{k} {v}" for k, v in summary.items())
        )
        self.stdout.write(f"Activate it on its page, /models/{model_version.pk}/, to use it for recognition.")

    def _created(self, dataset_id, name: str, options: dict) -> ModelVersion:
        if dataset_id is None:
            raise CommandError("Give --dataset ID (or --resume MODEL_ID).")
        dataset = DatasetVersion.objects.filter(pk=dataset_id).first()
        if dataset is None:
            raise CommandError(f"There is no dataset version {dataset_id}.")
        augmentation = {**AugmentationConfig().to_json(), "target_per_identity": options["per_identity"]}
        names = ("architecture", "epochs", "input_size", "batch_size", "learning_rate", "target_accuracy")
        config = TrainingConfig(
            **{field: options[field] for field in names},
            patience=options["patience"],
            seed=options["seed"],
            augmentation=augmentation,
        )
        return model_version_create(dataset=dataset, config=config, actor=None, name=name)

    def _resumed(self, model_id: int) -> ModelVersion:
        model_version = ModelVersion.objects.filter(pk=model_id).first()
        if model_version is None:
            raise CommandError(f"There is no model {model_id}.")
        if model_version.status != ModelVersion.Status.FAILED:
            raise CommandError(
                f"{model_version} is {model_version.get_status_display().lower()}; only a failed one resumes."
            )
        return model_version
