"""Embedders: what turns a face into a vector the gallery can compare.

Two kinds exist: FaceNet (`facenet.FaceNetEmbedder`, name "facenet"), and a trained image
model's layer before the softmax (`model.ModelEmbedder`, name "model-<id>"). Each cuts
its own input from a photo: FaceNet its 160x160 chip, an image model a face cut as stored
crops are cut, the only faces it was trained on. `base.Embedder` is what the gallery
needs of either.
"""
