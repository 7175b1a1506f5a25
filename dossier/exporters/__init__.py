"""One module per export format; they are registered in `dossier.export`."""
