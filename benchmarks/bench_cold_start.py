"""Cold start: importing the client, and the time to a first result in a fresh process.

Each sample is a fresh interpreter (``python -c``) that times its own work from its first line,
so interpreter start-up, common to all contenders, is left out. Contenders take turns, round
after round. Baselines: ``from google.cloud.aiplatform_v1 import GenAiTuningServiceClient``
(GAPIC) and ``from google import genai``; for the first result, GAPIC's REST client and
google-genai against the same loopback server, and ``httpx.get`` + ``orjson.loads`` as the floor.
Every client is given google-auth credentials, as a user of Google's endpoint has them (ours would
otherwise take its own anonymous auth for a loopback server and skip importing google-auth).

Our packages' bytecode is compiled first, as ``pip install`` does for every wheel (the baselines'
is): from an editable install, or under ``PYTHONDONTWRITEBYTECODE``, each sample would
otherwise compile vertex_tuning and its generated modules from source.
"""

from __future__ import annotations

import compileall
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import GAPIC, GENAI, NOT_INSTALLED, Row, best, emit, installed, interleaved, min_med
from loopback import served

ROUNDS = 3
NAME = "projects/bench/locations/us-central1/tuningJobs/1"
HEAVY = ("rich", "click", "typer", "starlette", "pygments", "grpc", "google.protobuf", "google.api_core")
_PROBE = """
import json, sys, time
c0, w0 = time.process_time(), time.perf_counter()
{code}
c1, w1 = time.process_time(), time.perf_counter()
print(json.dumps({{"cpu": c1 - c0, "wall": w1 - w0, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""
IMPORTS = {
    "ours": "import vertex_tuning",
    "client": "from vertex_tuning import TuningJobsClient",
    GAPIC: "from google.cloud.aiplatform_v1 import GenAiTuningServiceClient",
    GENAI: "from google import genai",
}
FIRST_RESULT = {
    "ours": "from google.auth.credentials import AnonymousCredentials\n"
            "from vertex_tuning import TuningJobsClient\n"
            "TuningJobsClient('bench', 'us-central1', base_url=URL, credentials=AnonymousCredentials())"
            ".get_tuning_job(name=NAME)",
    GAPIC: "from google.auth.credentials import AnonymousCredentials\n"
           "from google.cloud.aiplatform_v1 import GenAiTuningServiceClient\n"
           "GenAiTuningServiceClient(transport='rest', credentials=AnonymousCredentials(),\n"
           "    client_options={'api_endpoint': URL}).get_tuning_job(name=NAME)",
    GENAI: "from google import genai\nfrom google.genai import types\n"
           "from google.oauth2.credentials import Credentials\n"
           "client = genai.Client(vertexai=True, project='bench', location='us-central1',\n"
           "    credentials=Credentials(token='t'), http_options=types.HttpOptions(base_url=URL, api_version='v1'))\n"
           "client.tunings.get(name=NAME)",
    "floor": "import httpx, orjson\norjson.loads(httpx.get(URL + '/v1/' + NAME).content)",
}


def _compile_bytecode() -> None:
    for package in ("vertex_tuning", "vertex_tuning_protos"):
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(folder, quiet=1)


def _probe(code: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code, heavy=HEAVY)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _cases(snippets: dict[str, str], key: str, loaded: dict[str, list[str]]) -> dict[str, object]:
    def case(name: str, code: str) -> object:
        def run() -> float:
            result = _probe(code)
            loaded[name] = result["loaded"]  # type: ignore[assignment]
            return float(result[key])  # type: ignore[arg-type]

        return run

    return {n: case(n, c) for n, c in snippets.items() if n in ("ours", "client", "floor") or installed(n)}


def rows() -> list[Row]:
    """Import CPU and first-result wall time, each contender in fresh processes, interleaved."""
    _compile_bytecode()
    loaded: dict[str, list[str]] = {}
    imports = interleaved(_cases(IMPORTS, "cpu", loaded), ROUNDS)  # type: ignore[arg-type]
    with served() as url:
        snippets = {k: f"URL, NAME = {url!r}, {NAME!r}\n{v}" for k, v in FIRST_RESULT.items()}
        first = interleaved(_cases(snippets, "wall", {}), ROUNDS)  # type: ignore[arg-type]

    def cell(samples: dict[str, list[float]], name: str) -> str:
        return min_med(samples[name]) if name in samples else NOT_INSTALLED

    out = []
    ratio = best(imports["ours"]) / best(imports[GAPIC]) if GAPIC in imports else None
    out.append(Row(
        "`import vertex_tuning`, CPU (fresh process)", cell(imports, "ours"), cell(imports, GAPIC),
        cell(imports, GENAI), "", f"{ratio:.2f}× GAPIC" if ratio else "", "≤ 0.08× GAPIC",
        None if ratio is None else ratio <= 0.08,
    ))
    heavy = [m for m in loaded.get("client", []) if m in ("rich", "click", "typer", "starlette")]
    out.append(Row(
        "`from vertex_tuning import TuningJobsClient`, CPU; rich/click/typer/starlette loaded",
        f"{cell(imports, 'client')}; {', '.join(heavy) or 'none'}", "", "", "", "",
        "none of them", not heavy,
    ))
    ratio = best(first["ours"]) / best(first[GAPIC]) if GAPIC in first else None
    out.append(Row(
        "time to first `get_tuning_job` in a fresh process (import + construct + call), wall",
        cell(first, "ours"), cell(first, GAPIC), cell(first, GENAI), cell(first, "floor"),
        f"{ratio:.2f}× GAPIC" if ratio else "", "≤ 0.30× GAPIC", None if ratio is None else ratio <= 0.30,
    ))
    return out


if __name__ == "__main__":
    emit(rows())
