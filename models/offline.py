"""Dossier never contacts anything: the switch that keeps the model libraries' telemetry off.

`ensure_offline()` must run before openvino, nncf, transformers, sentence-transformers or
huggingface_hub are imported; `models.embedding_model` calls it when it is imported, which
every path to those libraries goes through. It relies on nothing in the user's environment or
home folder.

What phones home without it (read from the installed sources):

- `import openvino` imports `openvino.tools.ovc` (for `convert_model`), whose `__init__` runs
  `init_ovc_telemetry('OpenVINO').send_event("ov", "import", ...)`. `openvino_telemetry`
  treats a missing consent file (`~/intel/openvino_telemetry`) as consent when the tool
  passes `enable_opt_in_dialog=False`, as ovc does; it then writes `~/intel/openvino_ga_cid`
  and `~/intel/stats` and POSTs to www.google-analytics.com from a forked process.
- `import nncf` builds `NNCFTelemetry()`, the same `openvino_telemetry.Telemetry`, with the same
  defaults (files under ~/intel, consent assumed). `NNCF_CI` only swaps the sender for a stub
  *after* that object is built, so alone it does not keep ~/intel clean.
- huggingface_hub sends usage pings unless offline or opted out; it reads both switches from
  the environment once, when `huggingface_hub.constants` is imported.

Why these switches and not others:

- `openvino_telemetry` is made unimportable (`sys.modules[name] = None`, the documented way to
  make an import raise ImportError). Both of its callers are written for its absence:
  `openvino.tools.ovc` falls back to its own no-op `telemetry_stub`, `nncf.telemetry` to a
  stub. So nothing is built, nothing is written under ~/intel, nothing is sent, whatever the
  consent file says (a user who once opted in to another Intel tool stays opted in there, not
  here). The package's only other opt-outs are that consent file (a write under the user's
  home) and `CI=true` (which other tools read with other meanings).
- If something imported `openvino_telemetry` before this ran, blocking is too late: its
  consent check is made to answer "declined", an existing instance loses its consent, and its
  sender drops messages (a "declined" answer still lets `force_send` events through).
- The environment variables are set, not defaulted: a value the user left at 0 (or an empty
  one) must not switch Dossier's telemetry or hub access back on. Dossier loads every model
  from an installed package folder and never needs the hub.
"""

from __future__ import annotations

import os
import sys

# Read by huggingface_hub (and so transformers and sentence-transformers) when imported.
# TRANSFORMERS_OFFLINE is the older name huggingface_hub still honours; DO_NOT_TRACK is the
# cross-tool opt-out huggingface_hub also reads. NNCF_CI replaces nncf's telemetry with a stub.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "NNCF_CI": "1",
}

TELEMETRY_MODULE = "openvino_telemetry"  # used by openvino (ovc) and nncf


def ensure_offline() -> None:
    """Switch off every telemetry and hub path of the model libraries; cheap and idempotent."""
    os.environ.update(OFFLINE_ENV)
    if TELEMETRY_MODULE not in sys.modules:  # from now on `import openvino_telemetry` fails
        sys.modules[TELEMETRY_MODULE] = None
    elif sys.modules[TELEMETRY_MODULE] is not None:
        _silence_openvino_telemetry(sys.modules[TELEMETRY_MODULE])
    hub_constants = sys.modules.get("huggingface_hub.constants")
    if hub_constants is not None:  # imported already: its import-time reading is stale
        hub_constants.HF_HUB_OFFLINE = True
        hub_constants.HF_HUB_DISABLE_TELEMETRY = True


def _silence_openvino_telemetry(module) -> None:
    """openvino_telemetry was imported before ensure_offline(): make it decline and drop."""
    from openvino_telemetry.utils import opt_in_checker, sender

    declined = opt_in_checker.ConsentCheckResult.DECLINED
    opt_in_checker.OptInChecker.check = lambda self, *args, **kwargs: declined
    sender.TelemetrySender.send = lambda self, *args, **kwargs: None
    telemetry_class = module.Telemetry
    instance = getattr(telemetry_class, "_SingletonMetaClass__single_instance", None)
    if instance is not None:
        instance.consent = False
