from django import forms

from identities.forms import IDENTITY_PICKER_ATTRS
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
    """Which identity a face of a result goes to: an existing one, or a new one by name.

    The name field starts empty: prefilling the gallery's guess let one click file a
    stranger under the wrong person.
    """

    EXISTING = "existing"
    NEW = "new"

    target = forms.ChoiceField(
        choices=[(EXISTING, "An existing identity"), (NEW, "A new identity with this name")],
        initial=EXISTING,
        widget=forms.RadioSelect,
        # Without a choice, the name must be an existing identity's: nothing is created.
        required=False,
    )
    identity = forms.CharField(
        label="Identity",
        max_length=200,
        widget=forms.TextInput(attrs=IDENTITY_PICKER_ATTRS),
        help_text="The exact name of an existing identity, or the name of the new one.",
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["target"] = cleaned.get("target") or self.EXISTING
        name = cleaned.get("identity")
        if name is None or cleaned.get("target") != self.EXISTING:
            return cleaned
        try:
            cleaned["identity"] = Identity.objects.active().get_by_name(name)
        except Identity.DoesNotExist:
            raise forms.ValidationError(
                f"No identity is named “{name}”; to create it, choose “A new identity with this name”."
            ) from None
        return cleaned

    def error_text(self) -> str:
        return " ".join(message for messages in self.errors.values() for message in messages)
