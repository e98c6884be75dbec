"""Forms of the model registry pages: training a new model version."""

from django import forms

from facesite.errors import FacesiteError
from pipeline.augmentation import AugmentationConfig
from pipeline.models import DatasetVersion
from recognition.architectures.config import TrainingConfig
from recognition.architectures.registry import ARCHITECTURES, architecture_choices

_DEFAULTS = TrainingConfig()
_AUGMENTATION = AugmentationConfig()
AUGMENTATION_FIELDS = ("rotation", "scale", "brightness", "crop", "horizontal_flip", "target_per_identity")


class ModelTrainForm(forms.Form):
    """A dataset version, an architecture and the TrainingConfig fields, with its defaults."""

    dataset = forms.ModelChoiceField(
        queryset=DatasetVersion.objects.filter(status=DatasetVersion.Status.READY),
        empty_label=None,
        help_text="Only ready dataset versions are listed.",
    )
    architecture = forms.ChoiceField(
        choices=architecture_choices,
        initial=_DEFAULTS.architecture,
        help_text="; ".join(f"{name} {adapter.help_text}" for name, adapter in ARCHITECTURES.items()) + ".",
    )
    name = forms.CharField(max_length=200, required=False, help_text="Optional, to tell versions apart.")
    input_size = forms.IntegerField(
        min_value=16,
        max_value=512,
        initial=_DEFAULTS.input_size,
        help_text="Pixels; inception_v3 needs 75 or more.",
    )
    epochs = forms.IntegerField(min_value=1, max_value=1000, initial=_DEFAULTS.epochs, help_text="At most.")
    batch_size = forms.IntegerField(min_value=1, max_value=1024, initial=_DEFAULTS.batch_size)
    learning_rate = forms.FloatField(min_value=1e-6, max_value=0.5, initial=_DEFAULTS.learning_rate)
    target_accuracy = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=_DEFAULTS.target_accuracy,
        help_text="Training stops when validation accuracy reaches it.",
    )
    patience = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=_DEFAULTS.patience,
        help_text="Epochs without progress before stopping.",
    )
    seed = forms.IntegerField(initial=_DEFAULTS.seed)
    rotation = forms.FloatField(
        min_value=0, max_value=180, initial=_AUGMENTATION.rotation, label="Rotation (°)"
    )
    scale = forms.FloatField(min_value=0, max_value=0.9, initial=_AUGMENTATION.scale)
    brightness = forms.FloatField(min_value=0, max_value=1, initial=_AUGMENTATION.brightness)
    crop = forms.FloatField(min_value=0, max_value=0.9, initial=_AUGMENTATION.crop, label="Random crop")
    horizontal_flip = forms.BooleanField(required=False, initial=_AUGMENTATION.horizontal_flip)
    target_per_identity = forms.IntegerField(
        min_value=1,
        max_value=100_000,
        initial=_AUGMENTATION.target_per_identity,
        help_text="Training images per identity in one epoch (augmented on the fly).",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, label_suffix="", **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self.config().validate()
            except FacesiteError as error:
                raise forms.ValidationError(str(error)) from None
        return cleaned

    def config(self) -> TrainingConfig:
        values = self.cleaned_data
        augmentation = {name: values[name] for name in AUGMENTATION_FIELDS}
        names = ("architecture", "input_size", "epochs", "batch_size", "learning_rate", "target_accuracy")
        return TrainingConfig(
            **{name: values[name] for name in names},
            patience=values["patience"],
            seed=values["seed"],
            augmentation={**_AUGMENTATION.to_json(), **augmentation},
        )
