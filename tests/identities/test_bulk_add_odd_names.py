"""Bulk add refuses a name of a megabyte or one with control characters, each with its reason,
and creates the good names of the same list."""

from django.core.files.uploadedfile import SimpleUploadedFile

from identities.models import Identity


def test_a_huge_name_and_control_characters_are_refused_one_by_one(admin_web, db):
    names = "\n".join(["Ada Lovelace", "x" * 1_000_000, "Bell\x07", "Alan Turing"])
    # Django refuses NUL in a form field itself; in a names file it reaches the import.
    names_file = SimpleUploadedFile("names.txt", b"Bad\x00Name\nGrace Hopper\n", "text/plain")

    response = admin_web.post("/identities/bulk-add/", {"names": names, "names_file": names_file})

    assert response.status_code == 200
    report = response.context["report"]
    assert report.created == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert len(report.refused) == 3
    assert report.refused[0] == f"The name {'x' * 40!r}… is too long (at most 200 characters)."
    assert "control character (U+0007)" in report.refused[1]
    assert "control character (U+0000)" in report.refused[2]
    assert sorted(Identity.objects.values_list("name", flat=True)) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]
    assert "too long (at most 200 characters)" in response.content.decode()
