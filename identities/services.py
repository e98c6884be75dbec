"""Workflows that change identities and their faces, each recorded in the audit log."""

import re

from django.db import IntegrityError, transaction

from facesite.errors import FacesiteError
from identities.models import AuditEvent, Identity


def identity_name_normalize(name: str) -> str:
    """Trim and collapse white space; folder names use underscores for spaces."""
    return re.sub(r"\s+", " ", name.replace("_", " ")).strip()


def identity_create(*, name: str, actor=None, aliases: str = "", notes: str = "") -> Identity:
    """Create an identity, or raise FacesiteError if the name is blank or taken."""
    name = identity_name_normalize(name)
    if not name:
        raise FacesiteError("A name is required.")
    if len(name) > Identity._meta.get_field("name").max_length:
        raise FacesiteError(f"The name {name[:40]!r}… is too long.")
    existing = Identity.objects.filter(name__iexact=name).first()
    if existing:
        raise FacesiteError(f"An identity named {existing.name!r} already exists.")
    try:
        with transaction.atomic():
            identity = Identity.objects.create(name=name, aliases=aliases, notes=notes, created_by=actor)
            AuditEvent.record(actor=actor, action="identity.create", target=identity, after={"name": name})
    except IntegrityError:
        raise FacesiteError(f"An identity named {name!r} already exists.") from None
    return identity


def identity_get_or_create(*, name: str, actor=None) -> tuple[Identity, bool]:
    """The identity with this name (any case), created if missing."""
    normalized = identity_name_normalize(name)
    existing = Identity.objects.filter(name__iexact=normalized).first()
    if existing:
        return existing, False
    try:
        return identity_create(name=normalized, actor=actor), True
    except FacesiteError:
        # Another process created it between the lookup and the insert.
        return Identity.objects.get(name__iexact=normalized), False
