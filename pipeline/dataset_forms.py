from dataclasses import fields

from django import forms
from django.conf import settings

from facesite.errors import FacesiteError
from pipeline.augmentation import AugmentationConfig
from pipeline.datasets import MIN_FACES_FLOOR, PER_IDENTITY_MAX, DatasetRules, split_parse


class DatasetBuildForm(forms.Form):
    name = forms.CharField(required=False, max_length=200, help_text="Optional, shown in lists.")
    min_faces = forms.IntegerField(
        label="Minimum approved faces",
        min_value=MIN_FACES_FLOOR,
        help_text="Identities with fewer approved faces are left out (the original used 30).",
    )
    per_identity = forms.IntegerField(
        label="Faces per identity",
        min_value=MIN_FACES_FLOOR,
        max_value=PER_IDENTITY_MAX,
        help_text="More are sampled down to this; fewer are balanced by repeating their training faces.",
    )
    split = forms.CharField(
        label="Split (training/validation/test %)",
        initial="70/20/10",
        help_text="Applied per identity, before any reuse or augmentation.",
    )
    seed = forms.IntegerField(
        min_value=0, initial=0, help_text="The same approved faces and seed give the same dataset."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, label_suffix="", **kwargs)
        # Read per form, so a test or a deployment can change the settings.
        self.fields["min_faces"].initial = settings.FACESITE_MIN_APPROVED_FACES
        self.fields["per_identity"].initial = settings.FACESITE_TARGET_APPROVED_FACES

    def clean_split(self) -> tuple[int, int, int]:
        try:
            return split_parse(self.cleaned_data["split"])
        except FacesiteError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["rules"] = DatasetRules.with_defaults(
                min_faces=cleaned["min_faces"],
                per_identity=cleaned["per_identity"],
                split=cleaned["split"],
                seed=cleaned["seed"],
            )
        except FacesiteError as error:
            raise forms.ValidationError(str(error)) from None
        return cleaned


class AugmentationForm(forms.Form):
    """The AugmentationConfig fields; read from the query string, so a preview can be linked."""

    rotation = forms.FloatField(
        min_value=0, max_value=180, help_text="Largest rotation either way, in degrees."
    )
    scale = forms.FloatField(min_value=0, max_value=0.9, help_text="Largest zoom in or out, as a fraction.")
    brightness = forms.FloatField(
        min_value=0, max_value=1, help_text="Largest brightness change, as a fraction of the range."
    )
    crop = forms.FloatField(
        min_value=0, max_value=0.9, help_text="Fraction of the side a random crop may cut."
    )
    horizontal_flip = forms.BooleanField(required=False, help_text="Mirror at random.")
    target_per_identity = forms.IntegerField(
        min_value=1, max_value=100_000, help_text="Training images per identity per epoch."
    )

    def __init__(self, data=None, **kwargs) -> None:
        defaults = AugmentationConfig().to_json()
        # Without the form's fields in the query string, the defaults apply.
        if data is not None and not any(name in data for name in defaults):
            data = None
        super().__init__(data, initial=defaults, label_suffix="", **kwargs)

    def config(self) -> AugmentationConfig:
        """The config from valid data, or the defaults when the form was not filled in."""
        if not self.is_bound:
            return AugmentationConfig()
        names = {field.name for field in fields(AugmentationConfig)}
        return AugmentationConfig(**{name: self.cleaned_data[name] for name in names})
