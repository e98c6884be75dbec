"""Panels that higher apps add to the identity page, since identities imports neither.

An app registers a template and a function of the identity that returns the template's
context (or None to show nothing) from its AppConfig.ready; the identity page renders
each in the order registered.
"""

from collections.abc import Callable
from dataclasses import dataclass

from identities.models import Identity


@dataclass(frozen=True)
class IdentityPanel:
    template: str
    context: Callable[[Identity], dict | None]


_PANELS: list[IdentityPanel] = []


def identity_panel_register(template: str, context: Callable[[Identity], dict | None]) -> None:
    """Show `template` on every identity page with context(identity) as its `panel`."""
    panel = IdentityPanel(template, context)
    if panel not in _PANELS:
        _PANELS.append(panel)


def identity_panels(identity: Identity) -> list[tuple[str, dict]]:
    """(template, context) of each registered panel that has something to show."""
    shown = []
    for panel in _PANELS:
        context = panel.context(identity)
        if context is not None:
            shown.append((panel.template, context))
    return shown
