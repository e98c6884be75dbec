"""Reviewer statistics measure each assistance band's error rate: "likely this person" on
its blind checks alone, the "likely not" bands by the crops reviewers approved anyway."""

from tests.factories import make_identity, make_pending_faces, vote_served
from tests.review.assessments import assess


def decide(face, decision, *reviewers):
    reason = "wrong_person" if decision == "rejected" else ""
    for reviewer in reviewers:
        vote_served(reviewer=reviewer, face_id=face.pk, decision=decision, reason=reason)


def test_band_error_rates_come_from_blind_checks_and_reviewed_bands(admin_web, reviewer, rob):
    faces = make_pending_faces(make_identity(), 8)
    for face in faces[:4]:
        assess(face, "likely", blind=True)
    assess(faces[4], "likely")  # reviewed with its band shown: not a measurement
    assess(faces[5], "other")
    assess(faces[6], "other")
    assess(faces[7], "look")
    for face in faces[:3]:
        decide(face, "approved", reviewer, rob)
    decide(faces[3], "rejected", reviewer, rob)
    decide(faces[4], "rejected", reviewer, rob)
    decide(faces[5], "approved", reviewer, rob)
    decide(faces[6], "rejected", reviewer, rob)
    decide(faces[7], "approved", reviewer, rob)

    page = admin_web.get("/review/stats/?period=all").content.decode()
    rows = page.split("Review assistance bands")[1].split("</table>")[0]
    assert (
        '<td>Likely this person</td><td class="num">4</td><td class="num">3</td><td class="num">25.0%</td>'
        in rows
    )
    assert (
        '<td>Likely another person</td><td class="num">2</td><td class="num">1</td><td class="num">50.0%</td>'
        in rows
    )
    assert '<td>Needs a look</td><td class="num">1</td><td class="num">1</td>' in rows
