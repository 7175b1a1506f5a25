"""Running the CLI in process, as the tests of `tests/cli` do."""

from __future__ import annotations

import json

from cli.main import main


def run(capsys, *argv) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of one `dossier ARGV...` (paths may be given as Paths)."""
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, *argv):
    """Exit code and the JSON document printed by `dossier ARGV... --json`."""
    code, out, _ = run(capsys, *argv, "--json")
    return code, json.loads(out)
