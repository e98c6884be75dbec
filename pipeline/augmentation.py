"""Augmentation: the original project's set of random changes, as Keras preprocessing layers.

By default training applies these layers on the fly in its tf.data pipeline, so nothing
grows on disk; the same layers render the preview page and the optional job that writes
augmented images to storage. Keras is imported inside the functions that build layers,
so importing this module (for the config) stays cheap in the web process.
"""

from dataclasses import asdict, dataclass, fields


@dataclass
class AugmentationConfig:
    """How much each random change may alter a training image; 0 (or False) turns one off."""

    # Largest rotation either way, in degrees; the original rotated its crops.
    rotation: float = 15.0
    # Largest zoom in or out, as a fraction of the image side; the original scaled its crops.
    scale: float = 0.1
    # Largest brightness change, as a fraction of the 0-255 range; the original varied brightness.
    brightness: float = 0.2
    # Fraction of the side a random crop may cut away (the rest is resized back to full size).
    crop: float = 0.1
    # Mirror images left to right at random: faces are roughly symmetric, so labels stay true.
    horizontal_flip: bool = True
    # Training images per identity per epoch, as the original's 50 crops augmented to 500.
    target_per_identity: int = 500

    def validate(self) -> None:
        """Raise ValueError for settings the layers cannot use."""
        for name in ("rotation", "scale", "brightness", "crop"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative.")
        if self.rotation > 180:
            raise ValueError("rotation is at most 180 degrees.")
        if self.scale >= 1 or self.brightness > 1 or self.crop >= 1:
            raise ValueError("scale and crop must be below 1 and brightness at most 1.")
        if self.target_per_identity < 1:
            raise ValueError("target_per_identity must be at least 1.")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, values: dict) -> "AugmentationConfig":
        """A config from saved values; names it does not know (from older versions) are ignored."""
        known = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in known})


def augmentation_layers(config: AugmentationConfig, *, seed: int | None = None):
    """A keras.Sequential that changes float32 image batches in [0, 255] at random.

    Any square size goes in and the same size comes out. The random crop is a zoom-in by
    up to `crop` followed by a shift of up to the cut-away margin, rather than RandomCrop
    plus Resizing, which would fix the image size when the layers are built. Layers only
    change images when called with training=True (or inside model.fit); the preview and
    the tf.data pipeline pass it.
    """
    import keras

    config.validate()
    layers = []
    if config.horizontal_flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if config.rotation:
        layers.append(keras.layers.RandomRotation(config.rotation / 360, fill_mode="reflect", seed=seed))
    if config.scale:
        layers.append(keras.layers.RandomZoom((-config.scale, config.scale), fill_mode="reflect", seed=seed))
    if config.crop:
        # Negative zoom factors zoom in: the image shows (1 - crop) of its side, and a
        # shift of up to crop / 2 of the original side, measured in output pixels,
        # moves that window anywhere inside the original.
        shift = config.crop / (2 * (1 - config.crop))
        layers.append(keras.layers.RandomZoom((-config.crop, 0.0), fill_mode="reflect", seed=seed))
        layers.append(keras.layers.RandomTranslation(shift, shift, fill_mode="reflect", seed=seed))
    if config.brightness:
        layers.append(keras.layers.RandomBrightness(config.brightness, value_range=(0, 255), seed=seed))
    # An empty Sequential cannot be called; with every change off, images pass through.
    return keras.Sequential(layers or [keras.layers.Identity()], name="augmentation")


# Materialising: augmented training images written to storage, as the original did.

# Images augmented per call of the layers: large enough to be quick, small enough for any worker.
AUGMENT_BATCH = 32


def augment_start(*, dataset, config: AugmentationConfig, actor):
    """Queue the job that writes config.target_per_identity augmented training images per identity."""
    from facesite.errors import FacesiteError
    from pipeline.models import DatasetVersion
    from pipeline.services import job_start_for

    if dataset.status != DatasetVersion.Status.READY:
        raise FacesiteError(f"{dataset} is not ready, so there is nothing to augment yet.")
    try:
        config.validate()
    except ValueError as error:
        raise FacesiteError(str(error)) from None
    return job_start_for(
        dataset,
        kind="augment",
        parameters={"dataset_id": dataset.pk, "config": config.to_json()},
        actor=actor,
        label=f"{dataset}: {config.target_per_identity} per identity",
    )


def augment_job_run(*, dataset, config: AugmentationConfig, progress) -> dict:
    """The augment job: write augmented training images under augmented/dataset_<id>/<identity>/.

    1. Per identity, list its training crops, each as often as its repeats, so a reused
       face gets as many more variants as it counts more in training.
    2. Image number i of an identity comes from crop i modulo that list; its name is
       fixed, so a stopped or killed run, run again, skips the images that exist.
    3. Augment the missing images in batches with the same layers training uses, and
       store each as a JPEG (storage writes a temporary file and renames it).
    """
    from pipeline.datasets import augmented_folder, dataset_split_items, folder_name
    from pipeline.models import DatasetItem

    sources: dict[int, list[str]] = {}
    for file, label, repeats in dataset_split_items(dataset, DatasetItem.Split.TRAIN):
        sources.setdefault(label, []).extend([file] * repeats)
    names = dict(dataset.items.values_list("label", "identity_name").distinct().order_by())
    folder = augmented_folder(dataset.pk)
    planned = [
        (f"{folder}/{folder_name(names[label])}/{index:05d}.jpg", files[index % len(files)])
        for label, files in sorted(sources.items())
        for index in range(config.target_per_identity)
    ]
    progress.step(f"Checking which of {len(planned)} augmented images exist")
    missing = [(name, source) for name, source in planned if not _stored(name)]
    progress.step(f"Augmenting {len(missing)} images of {len(sources)} identities")
    layers = augmentation_layers(config)
    done = len(planned) - len(missing)
    progress.advance(done, len(planned))
    for start in range(0, len(missing), AUGMENT_BATCH):
        batch = missing[start : start + AUGMENT_BATCH]
        _batch_augment_store(batch, layers)
        done += len(batch)
        progress.advance(done, len(planned))
    return {
        "identities": len(sources),
        "images": len(planned),
        "written": len(missing),
        "already_there": len(planned) - len(missing),
    }


def _stored(name: str) -> bool:
    from django.core.files.storage import default_storage

    return default_storage.exists(name)


def _batch_augment_store(batch: list[tuple[str, str]], layers) -> None:
    import io

    import numpy as np
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from facesite.errors import FacesiteError
    from identities.images import stored_image_rgb

    size = settings.FACESITE_CROP_SIZE
    pixels = []
    for _, source in batch:
        try:
            image = stored_image_rgb(source).resize((size, size))
        except OSError as error:
            raise FacesiteError(f"The crop {source} cannot be read ({error}).") from None
        pixels.append(np.asarray(image, dtype="float32"))
    augmented = np.asarray(layers(np.stack(pixels), training=True)).clip(0, 255).astype("uint8")
    for (name, _), image_pixels in zip(batch, augmented, strict=True):
        buffer = io.BytesIO()
        Image.fromarray(image_pixels).save(buffer, "JPEG", quality=92)
        default_storage.save(name, ContentFile(buffer.getvalue()))
