"""Controllers: behaviour. Each one wires a view to the engine and runs core work in jobs."""
