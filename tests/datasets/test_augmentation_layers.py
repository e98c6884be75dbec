import numpy as np
import pytest

from pipeline.augmentation import AugmentationConfig, augmentation_layers


@pytest.mark.parametrize("size", [48, 96])
def test_layers_keep_the_shape_and_range_and_change_pixels(size):
    images = np.random.default_rng(0).uniform(0, 255, (3, size, size, 3)).astype("float32")
    augmented = np.asarray(augmentation_layers(AugmentationConfig(), seed=1)(images, training=True))
    assert augmented.shape == images.shape
    assert augmented.min() >= 0 and augmented.max() <= 255
    assert np.abs(augmented - images).mean() > 1


def test_everything_off_passes_images_through():
    config = AugmentationConfig(rotation=0, scale=0, brightness=0, crop=0, horizontal_flip=False)
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    assert np.array_equal(np.asarray(augmentation_layers(config)(images, training=True)), images)


def test_config_round_trips_through_json_and_rejects_bad_values():
    config = AugmentationConfig(rotation=5, target_per_identity=100)
    assert AugmentationConfig.from_json({**config.to_json(), "unknown": 1}) == config
    with pytest.raises(ValueError):
        AugmentationConfig(crop=1.5).validate()
