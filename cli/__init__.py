"""The `dossier` command line, a front end beside the desktop app: it parses arguments, shows
progress and prints text or JSON; all the work is done by the `dossier` core."""
