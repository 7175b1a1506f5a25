"""The PySide6 desktop app: views (layout), controllers (behaviour), item models, workers.

Everything slow (models, embeddings, index, export) runs on worker threads through
`desktop.workers`; the core packages never import Qt.
"""
