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
