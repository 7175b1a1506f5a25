"""Model layer: locating bundled weights and running the embedder and the LLM (no Qt)."""
