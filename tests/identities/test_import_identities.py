import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from identities.models import AuditEvent, Identity
from identities.name_import import identity_names_import, identity_names_read
from tests.factories import make_identity


def import_identities(path) -> str:
    output = io.StringIO()
    call_command("import_identities", str(path), stdout=output)
    return output.getvalue()


def test_names_file_creates_new_identities_and_reports_the_rest(db, tmp_path):
    make_identity("Ada Lovelace")
    names_file = tmp_path / "names.txt"
    names_file.write_text("Grace Hopper\n\n  \nada lovelace\nAlan_Turing\ngrace  hopper\nKatherine Johnson\n")

    output = import_identities(names_file)

    assert sorted(Identity.objects.values_list("name", flat=True)) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Katherine Johnson",
    ]
    assert "3 created, 1 already existed, 1 duplicates in the list, 2 blank, 0 refused." in output
    assert "Already existed (1): Ada Lovelace" in output
    assert "Duplicates in the file (1): grace hopper" in output
    assert AuditEvent.objects.filter(action="identity.create", actor=None).count() == 3


def test_csv_file_names_come_from_its_name_column(db, tmp_path):
    names_file = tmp_path / "people.csv"
    names_file.write_text(
        '\ufeffid,Name,born\n1,"Hopper, Grace",1906\n2,Alan Turing,1912\n3,,1900\n', "utf-8"
    )

    output = import_identities(names_file)

    assert sorted(Identity.objects.values_list("name", flat=True)) == ["Alan Turing", "Hopper, Grace"]
    assert "2 created, 0 already existed, 0 duplicates in the list, 1 blank" in output


def test_a_text_file_with_a_name_header_is_read_as_csv():
    assert identity_names_read("name\nGrace Hopper\nAlan Turing\n") == ["Grace Hopper", "Alan Turing"]


def test_a_text_file_keeps_commas_in_names():
    assert identity_names_read("Hopper, Grace\n\nTuring, Alan\n") == ["Hopper, Grace", "", "Turing, Alan"]


def test_a_csv_file_without_a_name_column_is_refused(db, tmp_path):
    names_file = tmp_path / "people.csv"
    names_file.write_text("first,last\nGrace,Hopper\n")

    with pytest.raises(CommandError, match="The CSV file has no 'name' column."):
        import_identities(names_file)
    assert not Identity.objects.exists()


def test_a_missing_file_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        import_identities(tmp_path / "names.txt")


def test_a_name_too_long_is_refused_and_the_others_are_created(db, admin):
    report = identity_names_import(names=["x" * 300, "Grace Hopper"], actor=admin)

    assert report.created == ["Grace Hopper"]
    assert len(report.refused) == 1
    assert "too long" in report.refused[0]
    assert Identity.objects.get().created_by == admin
