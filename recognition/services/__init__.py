"""Recognition's workflows, each over several models or apps: training, evaluation, the
model registry, uploads and their answers, stored results and their figures,
verification, API tokens, the LFW benchmark's embeddings. Views, the API, tasks and
commands call these; these call the gallery, the architectures and the embedders.
"""
