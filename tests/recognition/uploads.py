"""Photos for the upload, verification and API tests, made from the fixture faces."""

import io
from pathlib import Path

import numpy as np
from PIL import Image

FIXTURES = Path(__file__).parents[1] / "fixtures"
# Two photos of one person and one of another (CelebA identities 7221 and 7271).
JANE = FIXTURES / "celeba" / "7221" / "012125.jpg"
JANE_AGAIN = FIXTURES / "celeba" / "7221" / "025916.jpg"
JOHN = FIXTURES / "celeba" / "7271" / "001053.jpg"


def encoded(image: Image.Image, image_format: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def photo(path: Path = JANE, image_format: str = "JPEG") -> bytes:
    with Image.open(path) as image:
        return encoded(image.convert("RGB"), image_format)


def group_photo(*paths: Path) -> bytes:
    """The photos pasted side by side on a grey background: a group photo of their faces."""
    images = [Image.open(path).convert("RGB") for path in paths or (JANE, JOHN)]
    width = sum(image.width for image in images) + 40 * (len(images) + 1)
    canvas = Image.new("RGB", (width, max(image.height for image in images) + 80), (128, 128, 128))
    left = 40
    for image in images:
        canvas.paste(image, (left, 40))
        left += image.width + 40
    return encoded(canvas)


def faceless_photo() -> bytes:
    """A real JPEG with no face in it: smooth noise."""
    noise = np.random.default_rng(seed=3).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    return encoded(Image.fromarray(noise))


def bearer(user) -> dict:
    """Request headers carrying a new API token of user's."""
    from recognition.services.tokens import token_create

    _, key = token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def gallery_enrol(folder: Path, people: dict[str, list[Path]]) -> None:
    """Import each person's photos as approved faces (MTCNN crops) and embed them in the gallery."""
    import shutil

    from pipeline.importer import faces_import
    from recognition.gallery.sync import gallery_sync

    for name, paths in people.items():
        (folder / name).mkdir(parents=True)
        for path in paths:
            shutil.copy(path, folder / name / path.name)
    faces_import(path=folder, detector_name="mtcnn", approve=True)
    gallery_sync()


def gallery_add_strangers(count: int, seed: int = 0) -> None:
    """Identities whose one approved face has a random embedding: names for a top 5 to rank."""
    from identities.models import Face
    from recognition.models import FaceEmbedding
    from tests.factories import make_face, make_identity

    vectors = np.random.default_rng(seed).normal(size=(count, 512)).astype(np.float32)
    for number, vector in enumerate(vectors, start=1):
        face = make_face(make_identity(f"Stranger {number}"), status=Face.Status.APPROVED)
        vector /= np.linalg.norm(vector)
        FaceEmbedding.objects.create(face=face, embedder="facenet", vector=vector.tobytes())


def tiny_active_model(identities, architecture: str = "small_cnn", unknown_threshold: float = 0.0):
    """An untrained small CNN (or FaceNet head), saved as training saves it, and active.

    Its answers mean nothing; what it shows is that the page, the API and the figures
    work with any Keras model the registry hands them. (Fitting it, even for a step,
    would add seconds of graph building and change nothing these tests look at.)
    """
    import keras

    from pipeline.models import DatasetVersion
    from recognition.architectures.config import TrainingConfig
    from recognition.architectures.registry import architecture_class
    from recognition.embedders.model import model_forget
    from recognition.models import ModelVersion

    dataset = DatasetVersion.objects.create(status=DatasetVersion.Status.READY, name="tiny")
    model_version = ModelVersion.objects.create(
        dataset=dataset,
        architecture=architecture,
        config={"input_size": 32},
        status=ModelVersion.Status.READY,
        classes=[{"identity_id": identity.pk, "name": identity.name} for identity in identities],
        unknown_threshold=unknown_threshold,
        is_active=True,
    )
    model_version.artifact_dir = f"models/{model_version.pk}"
    model_version.save(update_fields=["artifact_dir"])
    # A rolled-back test frees its ids for the next, whose model must not be the cached one.
    model_forget(model_version.pk)
    keras.utils.set_random_seed(0)
    adapter = architecture_class(architecture)
    model = adapter.make_model(adapter.input_shape(TrainingConfig(input_size=32)), len(identities))
    model_version.artifact_path().mkdir(parents=True)
    model.save(model_version.model_path())
    return model_version
