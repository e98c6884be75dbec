from django import forms
from django.contrib.auth import get_user_model

from identities.models import Face, Identity, SourceImage
from identities.selectors import IDENTITY_FILTERS

IDENTITY_SORT_CHOICES = [
    ("name", "Name A–Z"),
    ("-name", "Name Z–A"),
    ("-approved", "Most approved"),
    ("approved", "Fewest approved"),
    ("-pending", "Most pending"),
    ("pending", "Fewest pending"),
    ("-rejected", "Most rejected"),
    ("rejected", "Fewest rejected"),
    ("-created", "Newest"),
    ("created", "Oldest"),
]

# Largest names file the bulk-add page reads; a list of names is far smaller.
NAMES_FILE_MAX_BYTES = 2 * 1024 * 1024


class IdentityListForm(forms.Form):
    """The list's search, filter and sort; a value it does not know falls back to the default."""

    q = forms.CharField(required=False, max_length=200)
    show = forms.ChoiceField(choices=IDENTITY_FILTERS.items(), required=False)
    sort = forms.ChoiceField(choices=IDENTITY_SORT_CHOICES, required=False)

    def values(self) -> dict[str, str]:
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "search": cleaned.get("q") or "",
            "show": cleaned.get("show") or "active",
            "sort": cleaned.get("sort") or "name",
        }


class IdentityForm(forms.Form):
    name = forms.CharField(
        max_length=Identity._meta.get_field("name").max_length,
        error_messages={"required": "A name is required."},
    )
    aliases = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Other names this person is known by, one per line.",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


# A text field the identity picker (static/facesite/identity_picker.js) upgrades into a
# search as you type; without JavaScript it is a plain name field.
IDENTITY_PICKER_ATTRS = {"data-identity-picker": "", "autocomplete": "off", "spellcheck": "false"}


def identity_picker_field(
    label: str, *, required_message: str = "", collect: str = "", **kwargs
) -> forms.CharField:
    """A name field for the picker. With `collect`, each pick is added as a ticked box
    named `collect` to the form's [data-picked=collect] list and the field is emptied."""
    attrs = {**IDENTITY_PICKER_ATTRS, **({"data-identity-picker-collect": collect} if collect else {})}
    return forms.CharField(
        label=label,
        max_length=200,
        widget=forms.TextInput(attrs=attrs),
        error_messages={"required": required_message},
        **kwargs,
    )


class IdentityMergeForm(forms.Form):
    target = identity_picker_field(
        "Merge into", required_message="Type the name of the identity to merge into."
    )


class FaceCurateForm(forms.Form):
    """Selected approved faces of an identity page, and what to do with them."""

    action = forms.ChoiceField(choices=[("move", "Move"), ("reject", "Reject")])
    face = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)
    target = forms.CharField(required=False, max_length=200)
    reason = forms.ChoiceField(choices=Face.Reason.choices, initial=Face.Reason.WRONG_PERSON, required=False)
    next = forms.CharField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any face id is accepted here; the service refuses ids that are not the identity's.
        self.fields["face"].valid_value = lambda value: str(value).isdigit()


class IdentityBulkForm(forms.Form):
    """Identities selected on the list, and what to do with them."""

    action = forms.ChoiceField(choices=[("merge", "Merge"), ("archive", "Archive")])
    identity = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)
    target = forms.CharField(required=False, max_length=200)
    confirm = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identity"].valid_value = lambda value: str(value).isdigit()


class IdentityMergeConfirmForm(forms.Form):
    target_id = forms.ModelChoiceField(queryset=Identity.objects.all(), widget=forms.HiddenInput)


class NamesImportForm(forms.Form):
    names = forms.CharField(
        required=False,
        # Kept as typed, so the report counts every blank line.
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "placeholder": "Ada Lovelace\nAlan Turing\n…"}),
        label="Names, one per line",
    )
    names_file = forms.FileField(
        required=False,
        label="Or a .txt or .csv file",
        help_text="A text file with one name a line, or a CSV file with a name column.",
    )

    def clean_names_file(self):
        names_file = self.cleaned_data.get("names_file")
        if names_file is None:
            return None
        if not names_file.name.lower().endswith((".txt", ".csv")):
            raise forms.ValidationError("Choose a .txt or .csv file.")
        if names_file.size > NAMES_FILE_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {names_file.size:,} bytes; the limit is {NAMES_FILE_MAX_BYTES:,}."
            )
        return names_file

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("names", "").strip() and not cleaned.get("names_file") and not self.errors:
            raise forms.ValidationError("Paste some names or choose a file.")
        return cleaned


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False)
    actor = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, actions: list[str], actors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any action"), *((action, action) for action in actions)]
        self.fields["actor"].queryset = actors
        self.fields["actor"].empty_label = "Anyone"


# Face ids a batch request may ask to leave out: a long offline spell's worth of decisions.
REVIEW_EXCLUDE_MAX = 1000


class ReviewFilterForm(forms.Form):
    """The review queue's filters and hints; a value it cannot use is ignored, not refused.

    `identity` is an id, as links and the page's batch requests carry it; `identity_name` is
    what the filter's picker sends: a picked name, or without JavaScript a typed one.
    `prefer` is the identity on the reviewer's page, `after` the last face an admin's page
    showed, and `exclude` the faces whose decisions are still on their way from the browser.
    """

    identity = forms.IntegerField(required=False, min_value=1)
    identity_name = forms.CharField(required=False, max_length=200)
    origin = forms.ChoiceField(choices=[("", "Any source"), *SourceImage.Origin.choices], required=False)
    detector = forms.CharField(required=False, max_length=32)
    prefer = forms.IntegerField(required=False, min_value=1)
    after = forms.IntegerField(required=False, min_value=0)
    exclude = forms.CharField(required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        name = (cleaned.get("identity_name") or "").strip()
        if name:
            identity_id = (
                Identity.objects.active().filter(name__iexact=name).values_list("pk", flat=True).first()
            )
            if identity_id is None:
                self.add_error("identity_name", f"No active identity is named “{name}”.")
            else:
                cleaned["identity"] = identity_id
        return cleaned

    def values(self) -> dict:
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        exclude = [int(part) for part in (cleaned.get("exclude") or "").split(",") if part.strip().isdigit()]
        return {
            "identity_id": cleaned.get("identity"),
            "origin": cleaned.get("origin") or "",
            "detector": cleaned.get("detector") or "",
            "prefer_identity_id": cleaned.get("prefer"),
            "after_id": cleaned.get("after") or 0,
            "exclude_face_ids": exclude[:REVIEW_EXCLUDE_MAX],
        }


class FaceOverrideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approved", "Approve"), ("rejected", "Reject")])
    reason = forms.ChoiceField(choices=[("", "—"), *Face.Reason.choices], required=False)
    next = forms.CharField(required=False)
