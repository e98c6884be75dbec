"""A refused page (403) is one line in the log, not a PermissionDenied traceback."""

import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_403_is_logged_as_one_line_without_a_traceback(reviewer_web, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = reviewer_web.get(reverse("job_list"))

    assert response.status_code == 403
    forbidden = [record for record in caplog.records if record.name == "django.request"]
    assert len(forbidden) == 1
    assert forbidden[0].getMessage() == f"Forbidden (Permission denied): {reverse('job_list')}"
    assert forbidden[0].exc_info is None
    assert "Traceback" not in caplog.text
