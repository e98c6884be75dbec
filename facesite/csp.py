"""The Content-Security-Policy every response carries.

Scripts and style sheets load from the site itself; the few inline <script> and <style>
blocks carry the request's nonce (`nonce="{{ request.csp_nonce }}"`), so an injected one
runs nowhere. Style attributes stay allowed (style-src-attr): templates size progress bars
and place face boxes with them, and an attribute cannot run code.
"""

import secrets

from django.http import HttpRequest, HttpResponse


def content_security_policy(nonce: str) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "style-src-attr": "'unsafe-inline'",
        # data: for the empty favicon of base.html.
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Gives each request a fresh nonce and its response the policy that names it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy(request.csp_nonce))
        return response
