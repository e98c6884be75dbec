from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import BaseUserCreationForm, SetPasswordMixin

from facesite.roles import ROLE_DESCRIPTIONS


def _role_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=[(role, f"{role.title()}: {text}") for role, text in ROLE_DESCRIPTIONS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class UserCreateForm(BaseUserCreationForm):
    roles = _role_field()

    class Meta(BaseUserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email"]


class UserEditForm(SetPasswordMixin, forms.ModelForm):
    roles = _role_field()
    new_password1, new_password2 = SetPasswordMixin.create_password_fields(
        label1="New password (leave blank to keep)", label2="New password again"
    )

    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].required = False
        self.fields["new_password2"].required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password1") or cleaned.get("new_password2"):
            if not cleaned.get("new_password2"):
                self.add_error("new_password2", "Enter the new password twice.")
            self.validate_passwords("new_password1", "new_password2")
            self.validate_password_for_user(self.instance, "new_password2")
        return cleaned

    def save(self, commit: bool = True):
        user = super().save(commit=False)
        if self.cleaned_data.get("new_password1"):
            user.set_password(self.cleaned_data["new_password1"])
        if commit:
            user.save()
        return user
