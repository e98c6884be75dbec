"""Tiny datasets of synthetic faces that a small CNN tells apart within an epoch or two."""

import io

import numpy as np
from PIL import Image, ImageDraw

from identities.models import Face
from pipeline.models import DatasetItem, DatasetVersion
from recognition.architectures.config import TrainingConfig
from tests.factories import make_face, make_identity, make_source_image

SPLITS = (("train", 6), ("validation", 2), ("test", 2))
# One colour and one shape per identity, so classes differ at any input size.
LOOKS = [
    ((220, 60, 60), "bar"),
    ((60, 200, 60), "stripe"),
    ((60, 60, 220), "disc"),
    ((200, 200, 60), "cross"),
]


def synthetic_face(label: int, variant: int, size: int = 48) -> bytes:
    """A JPEG of identity `label`'s colour and shape, with noise that makes each variant distinct."""
    colour, shape = LOOKS[label % len(LOOKS)]
    rng = np.random.default_rng(label * 1000 + variant)
    pixels = np.clip(np.array(colour) + rng.normal(0, 20, (size, size, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    middle, reach = size // 2 + int(rng.integers(-3, 4)), size // 3
    if shape == "bar":
        draw.rectangle((middle - 4, 4, middle + 4, size - 4), fill=(255, 255, 255))
    elif shape == "stripe":
        draw.rectangle((4, middle - 4, size - 4, middle + 4), fill=(0, 0, 0))
    elif shape == "disc":
        draw.ellipse((middle - reach, middle - reach, middle + reach, middle + reach), fill=(255, 255, 0))
    else:
        draw.line((4, 4, size - 4, size - 4), fill=(0, 0, 0), width=6)
        draw.line((4, size - 4, size - 4, 4), fill=(0, 0, 0), width=6)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def approved_face(identity, label: int, variant: int) -> Face:
    source = make_source_image(identity, data=synthetic_face(label, variant))
    return make_face(identity, status=Face.Status.APPROVED, source_image=source)


def make_tiny_dataset(identities: int = 3, splits=SPLITS, outside: int = 0) -> DatasetVersion:
    """A READY dataset version of synthetic approved faces, plus `outside` faces of a person left out."""
    dataset = DatasetVersion.objects.create(status=DatasetVersion.Status.READY, name="tiny")
    items = []
    for label in range(identities):
        identity = make_identity(f"Person {chr(ord('A') + label)}")
        variant = 0
        for split, count in splits:
            for _ in range(count):
                face = approved_face(identity, label, variant)
                variant += 1
                items.append(
                    DatasetItem(
                        dataset=dataset,
                        face=face,
                        identity=identity,
                        identity_name=identity.name,
                        label=label,
                        split=split,
                        file=face.file,
                    )
                )
    DatasetItem.objects.bulk_create(items)
    if outside:
        stranger = make_identity("Stranger")
        for variant in range(outside):
            approved_face(stranger, identities, variant)
    dataset.identity_count, dataset.face_count = identities, len(items)
    dataset.save(update_fields=["identity_count", "face_count"])
    return dataset


def tiny_config(**changes) -> TrainingConfig:
    """A config that trains in seconds: 32 pixels, small batches, 16 images per identity an epoch."""
    augmentation = {"target_per_identity": 16, "rotation": 5.0}
    values = dict(
        input_size=32, epochs=2, batch_size=8, patience=5, target_accuracy=1.0, augmentation=augmentation
    )
    return TrainingConfig(**{**TrainingConfig().to_json(), **values, **changes})
