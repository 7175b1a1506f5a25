"""No contact, proven: the real CLI with the real models attempts no network contact at all
(DNS included) and writes nothing outside its data folder.

The slow tests run `dossier ingest / remove / search / ask / brief` with the real embedder
(OpenVINO, and nncf where the CPU has int8) and the tiny SmolLM2 model, in a child Python
process: pytest-socket patches the socket module of this process only, and a child started
here gets a clean environment (no `CI`, `HF_HUB_OFFLINE`, `NNCF_CI`...: the code must switch
telemetry off by itself, and `CI=true` alone would silence openvino's telemetry on a CI
runner and hide a regression). HOME is an empty temporary folder, which must stay empty.

Two watchers, because each sees what the other cannot:
- an audit hook (`sys.addaudithook`) in the child records and blocks every Python-level
  connect / sendto / sendmsg and name lookup to anything but loopback or an AF_UNIX path; a
  child made by fork inherits it (openvino_telemetry sends from a forked process);
- `strace -f -e trace=network` sees the system calls of every thread and process, including
  sockets opened from C++ code, which no Python hook sees.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SEEDS

# Opt-outs a developer machine or a CI runner may set; the child must not inherit them, so the
# test proves Dossier's own switch (models/offline.py), not the environment's.
INHERITED_OPT_OUTS = {
    "CI",
    "TF_BUILD",
    "JENKINS_URL",
    "NNCF_CI",
    "NNCF_DEV",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
    "DISABLE_TELEMETRY",
    "DO_NOT_TRACK",
    "HF_HOME",
}

# The child: install the guard (when asked), then run the CLI commands one after the other in
# this one process, as `dossier ...` would, stopping at the first that fails. The guard goes in
# before the CLI is imported, so it watches every import too.
CHILD = r"""
import ipaddress, json, os, socket, sys, traceback

LOG = os.environ.get("DOSSIER_TEST_NET_LOG")
REPO = os.environ["DOSSIER_TEST_REPO"]
LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def local_host(host):
    if host is None:  # getaddrinfo(None, port): this host's own addresses, no lookup
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip().lower().split("%")[0]
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name to resolve: DNS, unless it is one of the local names above
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def target(event, args):
    # The contact an event attempts, or None when it stays on this machine.
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[1]
        if address is None:  # sendmsg on a connected socket: its connect was checked
            return None
        if sock.family == getattr(socket, "AF_UNIX", None):
            return None
        if sock.family in (socket.AF_INET, socket.AF_INET6) and local_host(address[0]):
            return None
        return repr(address)
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                 "socket.gethostbyaddr"):
        return None if local_host(args[0]) else repr(args[0])
    if event == "socket.getnameinfo":
        return None if local_host(args[0][0]) else repr(args[0])
    # socket.bind is not a contact: urllib3 (imported by trafilatura) binds a socket to ::1 at
    # import to probe IPv6 support and never connects it.
    return None


def guard(event, args):
    if not event.startswith("socket."):
        return
    where = target(event, args)
    if where is None:
        return
    # The innermost frames of installed packages or Dossier itself: who asked, not the stdlib.
    stack = traceback.extract_stack()[:-1]
    ours = [f for f in stack if "site-packages" in f.filename or f.filename.startswith(REPO)]
    frames = " < ".join(
        f"{f.filename.rsplit('site-packages/', 1)[-1]}:{f.lineno}" for f in reversed(ours[-4:])
    )
    with open(LOG, "a") as log:  # at once: a forked child ends with os._exit
        log.write(f"pid {os.getpid()} {event} {where} from {frames}\n")
    raise OSError(f"network blocked by the offline test: {event} {where}")


if LOG:
    sys.addaudithook(guard)

# The function the `dossier` command runs, wherever the CLI lives (console-script entry point).
from importlib.metadata import entry_points

(command,) = entry_points(group="console_scripts", name="dossier")
main = command.load()

for argv in json.loads(sys.argv[1]):
    code = main(argv)
    print(f"== exit {code}: dossier {' '.join(argv)}", flush=True)
    if code:
        sys.exit(code)
"""

ARTICLES = {
    "ferry.txt": (
        "Harbour council approves night ferry\n\n"
        "The harbour council voted 7 to 2 on Tuesday to run a night ferry between the old pier "
        "and the island from 1 June. The service will cost 4.2 million euros a year, paid by "
        "the port fund. Councillor Ana Ruiz said the late boat would help hospital staff on "
        "night shifts."
    ),
    "bridge.txt": (
        "Island bridge plan shelved\n\n"
        "The regional government has shelved the island bridge for at least five years, its "
        "transport office said on Wednesday. Engineers had put the cost at 310 million euros. "
        "The ferry operator welcomed the decision and promised two more boats by 2027."
    ),
    "fares.txt": (
        "Ferry fares to rise in June\n\n"
        "Single ferry tickets will rise from 3 to 3.50 euros in June, the operator announced. "
        "Monthly passes stay at 45 euros. Residents' groups said the night service was "
        "welcome but the fare rise was not."
    ),
}
QUESTION = "When does the night ferry start?"


def _non_loopback(address: str) -> bool:
    try:
        return not ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return True


# strace lines of a send or connect to an inet address: `inet_addr("1.2.3.4")` (IPv4),
# `inet_pton(AF_INET6, "::1", ...)` (IPv6); sendmmsg/sendmsg with no address go to a socket
# whose connect is in the trace too.
_STRACE_CONTACT = re.compile(r"\b(connect|sendto|sendmsg|sendmmsg)\(.*sa_family=AF_INET6?\b")
_STRACE_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def strace_contacts(trace: str) -> list[str]:
    """The lines of an `strace -e trace=network` log that reach a non-loopback inet address."""
    found = []
    for line in trace.splitlines():
        if not _STRACE_CONTACT.search(line):
            continue
        addresses = [a or b for a, b in _STRACE_ADDRESS.findall(line)]
        if any(_non_loopback(a) for a in addresses):
            found.append(line[:300])
    return found


def test_strace_contacts_reads_the_lines_that_matter():
    """The strace reading itself: a DNS query is a contact, loopback and AF_UNIX are not."""
    v4 = '{sa_family=AF_INET, sin_port=htons(%d), sin_addr=inet_addr("%s")}'
    v6 = '{sa_family=AF_INET6, sin6_port=htons(%d), inet_pton(AF_INET6, "%s", &sin6_addr)}'
    trace = "\n".join(
        [
            "12 connect(8, " + v4 % (53, "10.0.0.53") + ", 16) = 0",
            '12 sendto(9, "x", 1, 0, ' + v6 % (443, "2001:db8::1") + ", 28) = 1",
            '12 connect(7, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1',
            "12 connect(5, " + v4 % (8080, "127.0.0.1") + ", 16) = 0",
            "12 bind(3, " + v6 % (0, "::1") + ", 28) = 0",
        ]
    )
    assert [line.split()[1].split("(")[0] for line in strace_contacts(trace)] == [
        "connect",
        "sendto",
    ]


@pytest.fixture(scope="module")
def shared_data_dir(tmp_path_factory) -> Path:
    """$DOSSIER_DATA_DIR of both runs: the embedder exports its OpenVINO model (~40 s) into
    `<it>/cache` once, under whichever watcher runs first; each run keeps its own library in
    its own `--data-dir`."""
    return tmp_path_factory.mktemp("shared-data")


def _commands(data: Path, articles: Path, out: Path) -> list[list[str]]:
    at = ["--data-dir", str(data)]
    # The seeds go in on first opening; removing them keeps the briefing to three short
    # sources, so the tiny model's summaries take seconds, not minutes.
    remove_seeds = [[*at, "remove", seed.stem] for seed in sorted(SEEDS.glob("*.txt"))]
    return [
        [*at, "ingest", str(articles)],
        *remove_seeds,
        [*at, "search", "night ferry"],
        [*at, "ask", "--model", "tiny", QUESTION],
        [*at, "brief", "--out", str(out), "--model", "tiny"],
    ]


def run_cli(tmp_path: Path, shared: Path, *, wrap: list[str] = (), guard: bool = True) -> dict:
    """The CLI commands in one child process; returns what the checks need."""
    home, data, articles, scratch = (tmp_path / n for n in ("home", "data", "articles", "tmp"))
    for folder in (home, articles, scratch):
        folder.mkdir()
    for name, text in ARTICLES.items():
        (articles / name).write_text(text, encoding="utf-8")
    out = tmp_path / "x.md"
    log = tmp_path / "net.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in INHERITED_OPT_OUTS and not key.startswith(("XDG_", "DOSSIER_"))
    }
    env.update(
        HOME=str(home),
        DOSSIER_DATA_DIR=str(shared),  # where the embedder cache goes (see shared_data_dir)
        # No install-time export: the first-use export (openvino and nncf, whose telemetry
        # would phone home) runs under the watcher.
        DOSSIER_PREPARED_DIR="",
        TMPDIR=str(scratch),  # torch makes torchinductor_<user> there; keep /tmp clean
        DOSSIER_TEST_REPO=str(REPO),
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    if guard:
        env["DOSSIER_TEST_NET_LOG"] = str(log)
    commands = json.dumps(_commands(data, articles, out))
    child = tmp_path / "child.py"
    child.write_text(CHILD, encoding="utf-8")
    result = subprocess.run(
        [*wrap, sys.executable, str(child), commands],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    return {
        "commands": len(json.loads(commands)),
        "result": result,
        "out": out,
        "net_log": log.read_text() if log.exists() else "",
        "home_files": sorted(str(p.relative_to(home)) for p in home.rglob("*")),
        "exports": [*shared.glob("cache/embedder/*/*/model.xml")]
        + [*data.glob("cache/embedder/*/*/model.xml")],
    }


def assert_ran_and_stayed_home(run: dict) -> None:
    result = run["result"]
    report = (
        f"exit {result.returncode}\n--- stdout\n{result.stdout[-3000:]}"
        f"\n--- stderr\n{result.stderr[-3000:]}"
    )
    assert result.returncode == 0, report
    assert result.stdout.count("== exit 0") == run["commands"], report
    assert run["out"].is_file() and run["out"].stat().st_size > 0, report
    # The fast path ran, so openvino (and its telemetry, without the switch) was imported.
    assert run["exports"], "no OpenVINO export in the cache: the OpenVINO path did not run"
    assert run["home_files"] == [], f"written under HOME: {run['home_files']}"


@pytest.mark.slow
def test_cli_attempts_no_contact_and_writes_nothing_under_home(tmp_path, shared_data_dir):
    run = run_cli(tmp_path, shared_data_dir)
    assert run["net_log"] == "", "network attempts:\n" + run["net_log"]
    assert_ran_and_stayed_home(run)


def strace_command(log: Path) -> list[str] | str:
    """The strace prefix that records network system calls of every thread and child process
    into `log`, or why strace cannot be used here."""
    if shutil.which("strace") is None:
        return "strace is not installed (apt-get install strace): the C++-level check is skipped"
    base = ["strace", "-f", "-qq", "-e", "trace=network", "-e", "signal=none"]
    # --seccomp-bpf stops the traced process only on the traced calls: ~3x faster here.
    for extra in (["--seccomp-bpf"], []):
        probe = subprocess.run(
            [*base, *extra, "-o", os.devnull, "true"], capture_output=True, text=True
        )
        if probe.returncode == 0:
            return [*base, *extra, "-o", str(log)]
    return f"strace cannot trace here (ptrace not permitted?): {probe.stderr.strip()[:200]}"


@pytest.mark.slow
def test_cli_under_strace_sends_nothing_to_a_non_loopback_address(tmp_path, shared_data_dir):
    trace = tmp_path / "strace.log"
    wrap = strace_command(trace)
    if isinstance(wrap, str):
        pytest.skip(wrap)
    run = run_cli(tmp_path, shared_data_dir, wrap=wrap, guard=False)
    contacts = strace_contacts(trace.read_text(errors="replace"))
    assert contacts == [], "non-loopback connect/send (port 53 is DNS):\n" + "\n".join(contacts)
    assert_ran_and_stayed_home(run)


def test_importing_the_embedders_switches_telemetry_off():
    """Cheap and model-free: after `import models.openvino_embedder` in a fresh process with
    none of the opt-outs in its environment, openvino_telemetry cannot be imported (openvino
    and nncf then use their own no-op stubs) and the hub and nncf switches are on."""
    script = (
        "import importlib, json, os, sys\n"
        "import models.openvino_embedder\n"
        "try:\n"
        "    importlib.import_module('openvino_telemetry')\n"
        "    importable = True\n"
        "except ImportError:\n"
        "    importable = False\n"
        "keys = ['HF_HUB_OFFLINE', 'HF_HUB_DISABLE_TELEMETRY', 'NNCF_CI', 'DO_NOT_TRACK']\n"
        "env = {k: os.environ.get(k) for k in keys}\n"
        "print(json.dumps({'importable': importable, 'env': env}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_OPT_OUTS}
    env["HF_HUB_DISABLE_TELEMETRY"] = "0"  # a user's 0 must not switch it back on
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state == {
        "importable": False,
        "env": {
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "NNCF_CI": "1",
            "DO_NOT_TRACK": "1",
        },
    }


def test_switch_silences_openvino_telemetry_imported_before_it(tmp_path):
    """If something imported openvino_telemetry before Dossier, the switch still makes it
    decline: no consent, no files under HOME. (No network: nothing is sent without consent.)"""
    script = (
        "import openvino_telemetry\n"
        "from models.offline import ensure_offline\n"
        "ensure_offline()\n"
        "t = openvino_telemetry.Telemetry(app_name='x', app_version='1', tid='G-TEST',\n"
        "    backend='ga4', enable_opt_in_dialog=False, disable_in_ci=True)\n"
        "print(t.consent)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_OPT_OUTS}
    env["HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    assert list(tmp_path.iterdir()) == []
