"""The figures behind each answer: feature maps, first-layer filters and heat maps, as PNGs."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from recognition.models import RecognitionResult
from tests.factories import make_identity
from tests.recognition.uploads import (
    JANE,
    JANE_AGAIN,
    bearer,
    gallery_enrol,
    photo,
    tiny_active_model,
    upload,
)

FACENET_FIGURES = ["facenet-feature-maps", "facenet-filters", "facenet-heatmap"]
MODEL_FIGURES = ["model-feature-maps", "model-filters", "model-heatmap"]


def figure_url(result, figure: str, number: int = 1) -> str:
    return reverse("recognition_figure", args=[result.pk, number, figure])


def assert_png(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.width > 200 and image.height > 100


@pytest.fixture
def result_with_model(uploader_web, tmp_path):
    """A recognized photo of Jane, who is in the gallery, with a small CNN active."""
    gallery_enrol(tmp_path / "people", {"Jane Doe": [JANE_AGAIN]})
    tiny_active_model([make_identity("Someone"), make_identity("Someone Else")])
    uploader_web.post(reverse("recognize"), {"image": upload(photo(JANE))})
    return RecognitionResult.objects.get()


def test_every_figure_is_a_png_and_is_drawn_once(uploader_web, result_with_model):
    result = result_with_model

    for figure in FACENET_FIGURES + MODEL_FIGURES:
        assert_png(uploader_web.get(figure_url(result, figure)))

    cached = sorted(path.name for path in (Path(settings.MEDIA_ROOT) / result.files_dir).glob("face-1-*.png"))
    # Beside the figures, the face as the model saw it (cut as stored crops are).
    figures = [f"face-1-{figure}.png" for figure in FACENET_FIGURES + MODEL_FIGURES]
    assert cached == sorted([*figures, "face-1-model.png"])
    # A second view reads the cached file: change it and the change is what comes back.
    (Path(settings.MEDIA_ROOT) / result.files_dir / "face-1-facenet-filters.png").write_bytes(b"cached")
    assert uploader_web.get(figure_url(result, "facenet-filters")).content == b"cached"


def test_the_result_page_links_every_figure_with_a_download(uploader_web, result_with_model):
    page = uploader_web.get(result_with_model.get_absolute_url()).content.decode()

    for figure in FACENET_FIGURES + MODEL_FIGURES:
        assert f'{figure_url(result_with_model, figure)}?download=1"' in page
    assert "Occlusion" in page or "heat map" in page
    download = uploader_web.get(figure_url(result_with_model, "model-heatmap"), {"download": "1"})
    assert download["Content-Disposition"] == 'attachment; filename="face-1-model-heatmap.png"'


def test_the_api_serves_the_figures_it_links(client, uploader, result_with_model):
    headers = bearer(uploader)
    body = client.post(reverse("api_recognize"), {"image": upload(photo(JANE))}, **headers).json()

    [face] = body["faces"]
    assert set(face["figures"]) == set(FACENET_FIGURES + MODEL_FIGURES)
    assert_png(client.get(face["figures"]["facenet-heatmap"], **headers))


def test_a_model_that_sees_embeddings_has_no_pixel_figures(uploader_web, db):
    tiny_active_model([make_identity("A"), make_identity("B")], architecture="facenet_head")
    uploader_web.post(reverse("recognize"), {"image": upload(photo(JANE))})
    result = RecognitionResult.objects.get()

    response = uploader_web.get(figure_url(result, "model-heatmap"))

    assert response.status_code == 404 and "works on FaceNet embeddings" in response.content.decode()
    page = uploader_web.get(result.get_absolute_url()).content.decode()
    assert figure_url(result, "facenet-heatmap") in page and figure_url(result, "model-heatmap") not in page
    assert uploader_web.get(figure_url(result, "no-such-figure")).status_code == 404
    assert uploader_web.get(figure_url(result, "facenet-filters", number=2)).status_code == 404
