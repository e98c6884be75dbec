"""A softmax layer on the frozen 512-d FaceNet embedding of each crop (transfer learning).

It never sees pixels: each split's embeddings are computed once and cached in the model's
folder, uploads are scored through FaceNet's chip, and the gallery searches FaceNet's
rows for it (its layer before the softmax is the FaceNet embedding scaled).
"""

import math

import numpy as np

from facesite.errors import FacesiteError
from facesite.files import atomic_path
from identities.images import stored_image_rgb
from identities.models import Face
from pipeline.datasets import dataset_split_items
from recognition.architectures.base import Architecture
from recognition.embedders.facenet import facenet_embedder
from recognition.ml import networks
from recognition.ml.scores import topk_accuracy

# Crops read at a time when embedding a split: bounded memory.
EMBED_CHUNK = 64


class FaceNetHead(Architecture):
    name = "facenet_head"
    label = "FaceNet embeddings + softmax head"
    help_text = (
        "trains a softmax layer on pretrained FaceNet embeddings in seconds and ignores the "
        "augmentation settings"
    )
    sees_pixels = False

    @classmethod
    def make_model(cls, input_shape: tuple, num_classes: int):
        return networks.classifier(networks.facenet_head_features, input_shape, num_classes, cls.name)

    @classmethod
    def input_shape(cls, config) -> tuple:
        return (networks.EMBEDDING_SIZE,)

    def build(self, config):
        return self.make_model(self.input_shape(config), len(self.model_version.classes))

    def training_data(self, config, progress):
        """Each crop's FaceNet embedding, computed once and cached. Augmentation does not
        apply: the embedder is frozen and one pass over the balanced training items (with
        their repeats) is an epoch."""
        import tensorflow as tf

        train_vectors, train_labels = self.split_embeddings("train", progress, with_repeats=True)
        validation_vectors, validation_labels = self.split_embeddings("validation", progress)
        if not len(train_vectors) or not len(validation_vectors):
            raise FacesiteError(f"{self.model_version.dataset} has no training or no validation faces.")
        train = tf.data.Dataset.from_tensor_slices((train_vectors, train_labels))
        train = train.shuffle(len(train_vectors), seed=config.seed, reshuffle_each_iteration=True).repeat()
        train = train.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
        validation = tf.data.Dataset.from_tensor_slices((validation_vectors, validation_labels)).batch(
            config.batch_size
        )
        steps = math.ceil(len(train_vectors) / config.batch_size)
        return train, validation, steps, config.batch_size

    def split_embeddings(
        self, split: str, progress=None, *, with_repeats: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(N, 512) FaceNet embeddings and labels of one split, cached in the artifact folder."""
        items = dataset_split_items(self.model_version.dataset, split)
        cache = self.model_version.artifact_path() / f"embeddings-{split}.npz"
        if cache.exists():
            saved = np.load(cache)
            vectors, labels = saved["vectors"], saved["labels"]
        else:
            if progress:
                progress.step(f"Embedding {len(items)} {split} faces with FaceNet")
            vectors = crops_embed([name for name, _, _ in items], progress)
            labels = np.array([label for _, label, _ in items], dtype=np.int32)
            cache.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(cache) as partial:
                np.savez(partial, vectors=vectors, labels=labels)
        if with_repeats:
            index = np.repeat(np.arange(len(items)), [repeats for _, _, repeats in items])
            return vectors[index], labels[index]
        return vectors, labels

    def upload_chips(self, pixels: np.ndarray, faces: list) -> None:
        return None

    def chip_scores(self, chips: list[np.ndarray], model=None) -> np.ndarray:
        """Scores of FaceNet chips (FaceNetEmbedder.chip's cut), embedded first."""
        model = model or self.keras()
        if not chips:
            return np.zeros((0, len(self.model_version.classes)), dtype=np.float32)
        return networks.model_outputs(model, facenet_embedder().embed_chips(chips))

    def crop_scores(self, names: list[str], model=None) -> np.ndarray:
        model = model or self.keras()
        if not names:
            return np.zeros((0, len(self.model_version.classes)), dtype=np.float32)
        return networks.model_outputs(model, crops_embed(names))

    def split_scores(self, split: str, model=None) -> tuple[np.ndarray, np.ndarray]:
        vectors, labels = self.split_embeddings(split)
        return networks.model_outputs(model or self.keras(), vectors), labels

    def stranger_scores(self, names: list[str], model=None) -> np.ndarray:
        """Strangers' stored crops cut as the gallery cuts stored crops."""
        return self.crop_scores(names, model=model)

    def extra_metrics(self) -> dict:
        return {"baseline_nearest_centroid": self.nearest_centroid_baseline()}

    def nearest_centroid_baseline(self) -> dict:
        """Top-1/top-5 of naming each test face after the closest mean FaceNet embedding of a
        training identity.

        Uses each training face once (no balancing repeats) and cosine similarity; no
        training at all, so a trained model should beat it.
        """
        train_vectors, train_labels = self.split_embeddings("train")
        test_vectors, test_labels = self.split_embeddings("test")
        num_classes = len(self.model_version.classes)
        centroids = np.zeros((num_classes, train_vectors.shape[1]), dtype=np.float32)
        np.add.at(centroids, train_labels, train_vectors)
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-10)
        similarity = test_vectors @ centroids.T
        top_k = min(5, num_classes)
        return {
            "top1": round(topk_accuracy(similarity, test_labels, 1), 4),
            "top5": round(topk_accuracy(similarity, test_labels, top_k), 4),
        }

    def embedder(self) -> None:
        return None

    def image_layer_names(self) -> list[str]:
        return []


def crops_embed(names: list[str], progress=None) -> np.ndarray:
    """FaceNet embeddings of stored crops, read a chunk at a time, each cut as the gallery
    cuts it (with its Face's box, where the face still exists)."""
    embedder = facenet_embedder()
    parts = [np.zeros((0, networks.EMBEDDING_SIZE), dtype=np.float32)]
    for start in range(0, len(names), EMBED_CHUNK):
        chunk = names[start : start + EMBED_CHUNK]
        faces = {face.file: face for face in Face.objects.filter(file__in=chunk)}
        crops = [np.asarray(stored_image_rgb(name)) for name in chunk]
        parts.append(embedder.embed_crops(crops, [faces.get(name) for name in chunk]))
        if progress:
            progress.advance(start + len(chunk), len(names))
    return np.concatenate(parts)
