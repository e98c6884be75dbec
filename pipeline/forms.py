import zipfile

from django import forms

from identities.forms import identity_picker_field
from identities.models import Identity
from identities.services import IdentityNamesRefused, identity_names_clean
from pipeline.detection import DEFAULT_DETECTOR, DETECTORS
from pipeline.kinds import job_kind_choices
from pipeline.models import JobRun
from pipeline.providers import search_providers
from pipeline.services import MAX_IMAGES_PER_IDENTITY

DETECTOR_CHOICES = [(name, name) for name in sorted(DETECTORS)]


class JobFilterForm(forms.Form):
    """The jobs page's filters; a value it does not know shows every job."""

    kind = forms.ChoiceField(choices=lambda: [("", "All kinds"), *job_kind_choices()], required=False)
    status = forms.ChoiceField(choices=[("", "All statuses"), *JobRun.Status.choices], required=False)
    # Every review decision queues a gallery update, so they would crowd out the jobs
    # people start; they are hidden unless asked for (or picked as the kind).
    show_automatic = forms.BooleanField(label="Show gallery updates", required=False)

    def values(self) -> dict:
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "kind": cleaned.get("kind") or "",
            "status": cleaned.get("status") or "",
            "show_automatic": bool(cleaned.get("show_automatic")),
        }


class ScrapeForm(forms.Form):
    # The identities picked so far, by id: the picker (identity_picker.js) adds one per
    # pick, and a link from elsewhere may preselect some (?identity=7). A select of every
    # identity is unusable at thousands of names.
    identities = forms.ModelMultipleChoiceField(
        queryset=Identity.objects.active().order_by("name"),
        required=False,
        widget=forms.MultipleHiddenInput,
    )
    identity = identity_picker_field(
        "Add an identity",
        collect="identities",
        required=False,
        help_text="Type to search names and aliases; pick as many as you like.",
    )
    names = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "Jane Doe\nJohn Roe"}),
        help_text="Or paste names, one per line; identities that do not exist yet are created.",
    )
    per_identity = forms.IntegerField(
        label="Images per identity", min_value=1, max_value=MAX_IMAGES_PER_IDENTITY, initial=100
    )
    provider = forms.ChoiceField(label="Search provider")
    query_suffix = forms.CharField(
        required=False,
        max_length=100,
        help_text="Words added to each name in the search, e.g. “face” or “portrait”.",
    )
    detector = forms.ChoiceField(label="Face detector", choices=DETECTOR_CHOICES, initial=DEFAULT_DETECTOR)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, label_suffix="", **kwargs)
        # Read on each request: the providers file may change without a restart.
        self.fields["provider"].choices = [
            (provider.name, provider.label) for provider in search_providers().values()
        ]

    def clean_names(self) -> list[str]:
        """The pasted names, every one checked before any identity is created."""
        try:
            return identity_names_clean(self.cleaned_data["names"].splitlines())
        except IdentityNamesRefused as refusal:
            raise forms.ValidationError(refusal.problems) from None

    def clean_identity(self) -> Identity | None:
        """The identity typed in the picker field (without JavaScript, it is a name field)."""
        name = self.cleaned_data["identity"].strip()
        if not name:
            return None
        try:
            return Identity.objects.active().get_by_name(name)
        except Identity.DoesNotExist:
            raise forms.ValidationError(
                f"No identity is named “{name}”; to create it, paste the name under names."
            ) from None

    def identities_picked(self) -> list[Identity]:
        """The identities chosen so far, for the page to list: those submitted, or the
        preselected ones (?identity=...)."""
        if self.is_bound:
            ids = [value for value in self.data.getlist("identities") if str(value).isdigit()]
        else:
            ids = [value for value in self.initial.get("identities", []) if str(value).isdigit()]
        return list(Identity.objects.active().filter(pk__in=ids).order_by("name"))

    def clean(self):
        cleaned = super().clean()
        picked = cleaned.get("identity")
        if picked is not None:
            cleaned["identities"] = [*(cleaned.get("identities") or []), picked]
        if "identity" in self.errors:
            return cleaned
        if "names" not in self.errors and not cleaned.get("identities") and not cleaned.get("names"):
            raise forms.ValidationError("Pick identities or paste names to scrape for.")
        return cleaned


class RecropForm(forms.Form):
    # The picker, not a select of every identity: that is unusable at thousands of names.
    identity = identity_picker_field(
        "Identity",
        required_message="Type the name of the identity to re-crop.",
        help_text="Type to search names and aliases.",
    )
    detector = forms.ChoiceField(label="Face detector", choices=DETECTOR_CHOICES, initial=DEFAULT_DETECTOR)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, label_suffix="", **kwargs)

    def clean_identity(self) -> Identity:
        """The identity typed in the picker field (without JavaScript, it is a name field)."""
        name = self.cleaned_data["identity"].strip()
        try:
            return Identity.objects.active().get_by_name(name)
        except Identity.DoesNotExist:
            raise forms.ValidationError(f"No active identity is named “{name}”.") from None


class ImportUploadForm(forms.Form):
    archive = forms.FileField(
        label="Zip file",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
        help_text="One folder per person, named after them, holding their photos.",
    )
    detector = forms.ChoiceField(label="Face detector", choices=DETECTOR_CHOICES, initial=DEFAULT_DETECTOR)
    approve = forms.BooleanField(
        required=False,
        label="Approve the faces found (trusted data) instead of sending them to review",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, label_suffix="", **kwargs)

    def clean_archive(self):
        archive = self.cleaned_data["archive"]
        if not zipfile.is_zipfile(archive):
            raise forms.ValidationError("This file is not a zip archive.")
        archive.seek(0)
        return archive
