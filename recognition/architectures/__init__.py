"""One adapter class per network architecture: how it is built, fed, trained, asked and shown.

A ModelVersion hands out its adapter (`model_version.adapter`), so no other code asks
which architecture a model has. Adding an architecture is one class (a subclass of
`base.Architecture`) and one line in `registry.ARCHITECTURES`.
"""
