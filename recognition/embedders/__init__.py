"""Embedders: what turns a face into a vector the gallery can compare.

Three kinds exist, each named by what its gallery rows carry:
- pretrained networks that ship with their weights (`pretrained.PRETRAINED`): FaceNet
  (`facenet.FaceNetEmbedder`, "facenet"), dlib's ResNet (`dlib_resnet.DlibEmbedder`,
  "dlib") and the two fused (`dlib_resnet.FusedEmbedder`, "facenet-dlib", the gallery's
  default);
- a trained image model's layer before the softmax (`model.ModelEmbedder`, "model-<id>").
Each cuts its own input from a photo: FaceNet its 160x160 chip, dlib its aligned 150x150
chip, an image model a face cut as stored crops are cut, the only faces it was trained
on. `base.Embedder` is what the gallery needs of any of them.
"""
