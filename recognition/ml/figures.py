"""Figures as PNGs, drawn with Matplotlib's Agg backend: what a network sees of a face
(feature maps, filters, heat maps) and how a model trained (curves, confusion).

Grids are assembled as one mosaic image per row rather than one Matplotlib axes per
channel, which keeps a figure well under a second to draw.
"""

import io
from collections.abc import Callable

import numpy as np

# Channels shown per layer: the most active ones for this face.
CHANNELS_PER_LAYER = 8


# Pixels a face or feature map is drawn at in the feature-map sheet.
TILE = 80


FILTERS_SHOWN = 32


# Occlusion sensitivity: a grey square slid over the 160x160 chip in a 3x3 grid of
# overlapping positions, the 9 occluded chips embedded in one batch with the original
# (about 0.3 s on two idle cores; a 4x4 grid took twice as long for little more detail
# once blurred).
OCCLUSION_PATCH = 64


OCCLUSION_POSITIONS = 3


OCCLUSION_GREY = 128


def _matplotlib_plain_text() -> None:
    """Agg, and every text drawn as written.

    Names of identities and models are shown as typed; with maths parsing on, a "$" in
    one starts a formula, and a formula that does not parse stops the whole figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["text.usetex"] = False
    matplotlib.rcParams["text.parse_math"] = False


def _pyplot():
    _matplotlib_plain_text()
    import matplotlib.pyplot as pyplot

    return pyplot


def _png(figure, tight: bool = True) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight" if tight else None)
    _pyplot().close(figure)
    return buffer.getvalue()


def _normalise(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float32)
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def _mosaic(tiles: list[np.ndarray], columns: int, gap: int = 2) -> np.ndarray:
    """Tiles of one size laid in a grid with a gap between them (NaN, drawn blank)."""
    height, width = tiles[0].shape[:2]
    rows = -(-len(tiles) // columns)
    shape = (rows * (height + gap) - gap, columns * (width + gap) - gap, *tiles[0].shape[2:])
    mosaic = np.full(shape, np.nan, dtype=np.float32)
    for index, tile in enumerate(tiles):
        top, left = (index // columns) * (height + gap), (index % columns) * (width + gap)
        mosaic[top : top + height, left : left + width] = tile
    return mosaic


def feature_maps_figure(chip: np.ndarray, maps: dict[str, np.ndarray], title: str) -> bytes:
    """One row per layer: the face, then its most active channels, each scaled to its own range.

    The rows are coloured and laid out as one RGB image with the layer names written
    between them, so Matplotlib draws a single image however many maps there are.
    """
    import cv2
    from matplotlib import colormaps

    viridis = colormaps["viridis"]
    face = cv2.resize(chip, (TILE, TILE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    rows, captions = [], []
    for name, activations in maps.items():
        activation = activations[0]
        strongest = np.argsort(activation.mean(axis=(0, 1)))[::-1][:CHANNELS_PER_LAYER]
        tiles = [face] + [
            viridis(
                cv2.resize(
                    _normalise(activation[:, :, channel]), (TILE, TILE), interpolation=cv2.INTER_NEAREST
                )
            )[..., :3]
            for channel in strongest
        ]
        rows.append(_mosaic(tiles, columns=len(tiles), gap=3))
        captions.append(
            f"{_short_name(name)}: {activation.shape[0]}x{activation.shape[1]}, "
            f"the {len(strongest)} most active of {activation.shape[-1]} channels"
        )
    caption_height = 22
    width = max(row.shape[1] for row in rows)
    sheet = np.ones((sum(row.shape[0] + caption_height for row in rows), width, 3), dtype=np.float32)
    top = 0
    for row in rows:
        sheet[top + caption_height : top + caption_height + row.shape[0], : row.shape[1]] = np.nan_to_num(
            row, nan=1.0
        )
        top += caption_height + row.shape[0]
    pyplot = _pyplot()
    figure = pyplot.figure(figsize=(width / 100, sheet.shape[0] / 100 + 0.4), dpi=100)
    axes = figure.add_axes((0, 0, 1, sheet.shape[0] / (sheet.shape[0] + 40)))
    axes.imshow(sheet, interpolation="nearest")
    axes.axis("off")
    top = 0
    for row, caption in zip(rows, captions, strict=True):
        axes.text(2, top + caption_height - 6, caption, fontsize=9)
        top += caption_height + row.shape[0]
    figure.suptitle(title, fontsize=11, y=0.995)
    return _png(figure, tight=False)


def _short_name(tensor_name: str) -> str:
    parts = tensor_name.removesuffix(":0").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else "/".join(parts)


def filters_figure(weights: np.ndarray, title: str) -> bytes:
    """The first convolution's filters (kh, kw, channels, n) as small colour (or grey) tiles."""
    pyplot = _pyplot()
    count = min(FILTERS_SHOWN, weights.shape[-1])
    tiles = [_normalise(weights[..., index]) for index in range(count)]
    if tiles[0].shape[-1] != 3:
        tiles = [tile.mean(axis=-1) for tile in tiles]
    columns = 8
    figure, axes = pyplot.subplots(figsize=(8, 1.1 * -(-count // columns) + 0.5))
    mosaic = _mosaic(tiles, columns=columns, gap=1)
    axes.imshow(np.nan_to_num(mosaic, nan=1.0), cmap="gray", interpolation="nearest")
    axes.axis("off")
    kernel = f"{weights.shape[0]}x{weights.shape[1]}"
    axes.set_title(f"{title}: {count} of {weights.shape[-1]} filters, {kernel}", fontsize=10)
    return _png(figure)


def heatmap_figure(chip: np.ndarray, heat: np.ndarray, title: str, method: str) -> bytes:
    """The face, and the face with the heat map laid over it (red: mattered most)."""
    pyplot = _pyplot()
    figure, (face_axes, heat_axes) = pyplot.subplots(1, 2, figsize=(6.4, 3.6))
    face_axes.imshow(chip)
    heat_axes.imshow(chip)
    extent = (0, chip.shape[1], chip.shape[0], 0)
    image = heat_axes.imshow(
        _normalise(heat), cmap="jet", alpha=0.45, extent=extent, interpolation="bilinear", vmin=0, vmax=1
    )
    for each in (face_axes, heat_axes):
        each.axis("off")
    figure.colorbar(image, ax=heat_axes, fraction=0.046, pad=0.04, label="relative importance")
    figure.suptitle(f"{title}\n{method}", fontsize=9)
    return _png(figure)


def occlusion_sensitivity(chip: np.ndarray, references: np.ndarray | None, embed: Callable) -> np.ndarray:
    """How much the face's score drops when each part of it is hidden.

    1. Make one copy of the chip per grid position with a grey square over it.
    2. Embed the original and every copy in one call.
    3. Score each embedding as the gallery scores an identity, its best cosine similarity
       to the references (the matched identity's faces); without a match, the similarity
       to the original face's own embedding.
    4. The drop from the original's score is the importance of the hidden square: spread
       it over the square's pixels and average where squares overlap.
    5. Blur the result by a quarter square, so the map shows regions rather than the grid.
    """
    import cv2

    side = chip.shape[0]
    step = (side - OCCLUSION_PATCH) // (OCCLUSION_POSITIONS - 1)
    starts = range(0, side - OCCLUSION_PATCH + 1, step)
    corners = [(top, left) for top in starts for left in starts]
    occluded = []
    for top, left in corners:
        copy = chip.copy()
        copy[top : top + OCCLUSION_PATCH, left : left + OCCLUSION_PATCH] = OCCLUSION_GREY
        occluded.append(copy)
    embeddings = embed([chip, *occluded])
    references = embeddings[:1] if references is None else references
    scores = (embeddings @ references.T).max(axis=1)
    drops = np.maximum(scores[0] - scores[1:], 0.0)
    heat, counts = np.zeros(chip.shape[:2], np.float32), np.zeros(chip.shape[:2], np.float32)
    for (top, left), drop in zip(corners, drops, strict=True):
        heat[top : top + OCCLUSION_PATCH, left : left + OCCLUSION_PATCH] += drop
        counts[top : top + OCCLUSION_PATCH, left : left + OCCLUSION_PATCH] += 1
    return cv2.GaussianBlur(heat / np.maximum(counts, 1), (0, 0), OCCLUSION_PATCH / 4)


def grad_cam(model, image: np.ndarray, layer_name: str, class_index: int) -> np.ndarray:
    """Grad-CAM (Selvaraju et al., 2017) of one class for one image batch of one.

    1. Run the model, keeping the named convolution layer's output.
    2. Take the gradient of the class's score with respect to that output.
    3. Weight each channel by its mean gradient, sum, and keep the positive part.
    """
    import keras
    import tensorflow as tf

    grad_model = keras.Model(model.input, [model.get_layer(layer_name).output, model.output])
    with tf.GradientTape() as tape:
        activations, predictions = grad_model(image, training=False)
        score = predictions[:, class_index]
    gradients = tape.gradient(score, activations)
    weights = tf.reduce_mean(gradients, axis=(0, 1, 2))
    cam = tf.nn.relu(tf.reduce_sum(activations[0] * weights, axis=-1))
    return cam.numpy()


def upsample(heat: np.ndarray, side: int) -> np.ndarray:
    import cv2

    return cv2.resize(heat.astype(np.float32), (side, side), interpolation=cv2.INTER_LINEAR)


def curves_figure(history: list[dict]):
    """Loss and accuracy per epoch, training against validation."""
    _matplotlib_plain_text()
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.5))
    epochs = [row["epoch"] for row in history]
    for axes, name in zip(figure.subplots(1, 2), ("loss", "accuracy"), strict=True):
        axes.plot(epochs, [row.get(name) for row in history], marker="o", label="training")
        axes.plot(epochs, [row.get(f"val_{name}") for row in history], marker="o", label="validation")
        axes.set_xlabel("epoch")
        axes.set_title(name)
        axes.grid(alpha=0.3)
        axes.legend()
    return figure


def confusion_figure(classes: list[dict], metrics: dict):
    """The whole confusion matrix for up to 30 classes, else a bar chart of the top confused pairs."""
    _matplotlib_plain_text()
    from matplotlib.figure import Figure

    if metrics.get("confusion") is not None:
        size = max(4, len(classes) * 0.35 + 2)
        figure = Figure(figsize=(size, size))
        axes = figure.subplots()
        axes.imshow(np.array(metrics["confusion"]), cmap="Blues")
        names = [identity["name"] for identity in classes]
        axes.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
        axes.set_yticks(range(len(names)), names, fontsize=7)
        axes.set_xlabel("predicted")
        axes.set_ylabel("true")
        axes.set_title("Test split confusion")
        return figure
    pairs = metrics["confused_pairs"]
    figure = Figure(figsize=(8, max(2.5, 0.4 * len(pairs) + 1)))
    axes = figure.subplots()
    axes.barh(
        [f"{pair['true']} → {pair['predicted']}" for pair in pairs][::-1], [p["count"] for p in pairs][::-1]
    )
    axes.set_xlabel("test faces")
    axes.set_title("Most-confused identity pairs (true → predicted)")
    return figure
