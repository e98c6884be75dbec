"""The gallery: embeddings of approved faces, and open-set identification over them.

Modules, each importing only those above it in this list:
- index: the in-memory matrix of one embedder's rows and the per-identity score (NumPy).
- cache: each process's copies of the matrices and what it remembers about them.
- thresholds: every threshold that decides whether a face is named, and why.
- policy: which embedders the gallery keeps and searches with.
- search: identification, the top identities for a face.
- sync: the gallery job that keeps the rows in step with approvals.
- lookalikes: approved faces that look more like another identity than their own.
- curation: an identity's faces farthest from its core first; identities whose cores
  are closer than the 1:1 threshold (probably one person under two names).
- recognisability: how often an identity's own faces are named rightly without them.
"""
