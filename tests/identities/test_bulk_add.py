from django.core.files.uploadedfile import SimpleUploadedFile

from identities.models import AuditEvent, Identity
from tests.factories import make_identity


def test_pasted_names_are_created_and_reported(admin_web, db):
    make_identity("Ada Lovelace")
    names = "Alan Turing\n\nada lovelace\nGrace  Hopper\nALAN TURING\n   \n"
    response = admin_web.post("/identities/bulk-add/", {"names": names})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.created == ["Alan Turing", "Grace Hopper"]
    assert report.existing == ["Ada Lovelace"]
    assert report.duplicates == ["ALAN TURING"]
    assert report.blank == 2
    assert sorted(Identity.objects.values_list("name", flat=True)) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]
    assert AuditEvent.objects.filter(action="identity.create").count() == 2
    assert "repeated in the list" in response.content.decode()


def test_a_csv_file_with_a_name_column(admin_web, db):
    upload = SimpleUploadedFile("people.csv", b"id,name\n1,Alan Turing\n2,Grace Hopper\n", "text/csv")
    response = admin_web.post("/identities/bulk-add/", {"names_file": upload})
    assert response.context["report"].created == ["Alan Turing", "Grace Hopper"]


def test_a_text_file_and_pasted_names_together(admin_web, db):
    upload = SimpleUploadedFile("people.txt", "Ada Lovelace\nÉmilie du Châtelet\n".encode(), "text/plain")
    admin_web.post("/identities/bulk-add/", {"names": "Alan Turing", "names_file": upload})
    assert Identity.objects.count() == 3
    assert Identity.objects.filter(name="Émilie du Châtelet").exists()


def test_problems_with_the_input_are_form_errors(admin_web, db):
    empty = admin_web.post("/identities/bulk-add/", {"names": "  "})
    assert "Paste some names or choose a file." in empty.content.decode()
    wrong_type = SimpleUploadedFile("people.xlsx", b"PK\x03\x04", "application/octet-stream")
    assert (
        "Choose a .txt or .csv file."
        in admin_web.post("/identities/bulk-add/", {"names_file": wrong_type}).content.decode()
    )
    not_utf8 = SimpleUploadedFile("people.txt", b"\xff\xfeA\x00", "text/plain")
    assert (
        "not UTF-8 text" in admin_web.post("/identities/bulk-add/", {"names_file": not_utf8}).content.decode()
    )
    no_column = SimpleUploadedFile("people.csv", b"id,person\n1,Ada\n", "text/csv")
    assert (
        "no &#x27;name&#x27; column"
        in admin_web.post("/identities/bulk-add/", {"names_file": no_column}).content.decode()
    )
    assert not Identity.objects.exists()
