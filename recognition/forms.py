from django import forms

from identities.models import Identity

# The file's name and content type are not trusted: the service decodes the content.
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


def _photo_field(label: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
        help_text="JPEG, PNG or WebP.",
    )


class RecognizeForm(forms.Form):
    image = _photo_field("Photo")
    keep = forms.BooleanField(
        label="Keep this photo and its result until I delete them",
        required=False,
        help_text="Otherwise both are deleted when the result expires.",
    )


class VerifyForm(forms.Form):
    image1 = _photo_field("First photo")
    image2 = _photo_field("Second photo")


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “nightly script”.")


class AddToIdentityForm(forms.Form):
    identity = forms.CharField(
        label="Identity",
        max_length=200,
        widget=forms.TextInput(attrs={"list": "identity-names", "autocomplete": "off"}),
        help_text="The exact name of an existing identity.",
    )

    def clean_identity(self) -> Identity:
        name = self.cleaned_data["identity"]
        try:
            return Identity.objects.active().get_by_name(name)
        except Identity.DoesNotExist:
            raise forms.ValidationError(f"No identity is named “{name}”.") from None
