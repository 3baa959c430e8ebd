"""``import vertex_tuning`` stays light: no grpc, no google.api_core, no server, no protobuf runtime."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Not "rich": httpx itself tries to import its optional CLI (httpx._main → rich) when rich is installed.
FORBIDDEN = ("grpc", "google.api_core", "google.protobuf", "vertex_tuning.server", "vertex_tuning.cli", "starlette",
             "uvicorn", "lark", "typer", "schemathesis", "hypothesis")


def imported_modules(code: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    return {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}


def test_importing_the_package_loads_no_grpc_api_core_server_or_protobuf_runtime() -> None:
    modules = imported_modules("import vertex_tuning")
    assert "vertex_tuning" in modules
    offending = sorted(m for m in modules if m.startswith(FORBIDDEN))
    assert offending == []


def test_importing_the_client_loads_no_cli_libraries() -> None:
    modules = imported_modules("from vertex_tuning import TuningJobsClient")
    assert "httpx" in modules
    assert sorted(m for m in modules if m.split(".")[0] in ("rich", "click", "typer", "pygments")) == []


def test_httpx_command_entry_point_still_works_after_the_client_is_imported() -> None:
    code = "from vertex_tuning import TuningJobsClient\nimport httpx, sys\nsys.argv = ['httpx', '--help']\nhttpx.main()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout


def run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_importing_the_package_loads_neither_pydantic_nor_importlib_metadata() -> None:
    # betterproto2 imports both at its own import, for features our messages do not use (~85 ms).
    modules = imported_modules("import pydantic.version, vertex_tuning\n") - imported_modules("import pydantic.version")
    assert "betterproto2" in modules
    assert sorted(m for m in modules if m.startswith(("pydantic", "importlib.metadata"))) == []


def test_betterproto2_reports_its_installed_version() -> None:
    out = run("import vertex_tuning, betterproto2, importlib.metadata\n"
              "print(betterproto2.__version__, importlib.metadata.version('betterproto2'))")
    ours, installed = out.split()
    assert ours == installed


def test_betterproto2_still_refuses_code_from_an_incompatible_compiler() -> None:
    out = run("import vertex_tuning, betterproto2\n"
              "major, minor = betterproto2.__version__.split('.')[:2]\n"
              "betterproto2.check_compiler_version(f'{major}.{minor}.99')\n"
              "try:\n"
              "    betterproto2.check_compiler_version(f'{major}.{int(minor) + 1}.0')\n"
              "except ImportError as e:\n"
              "    print(e)\n")
    assert "Unsupported version" in out
    assert "betterproto2_compiler" in out


def test_pydantic_dataclass_messages_defined_later_are_still_validated() -> None:
    out = run("import vertex_tuning, betterproto2, pydantic\n"
              "@pydantic.dataclasses.dataclass(eq=False, repr=False)\n"
              "class M(betterproto2.Message):\n"
              "    x: int = betterproto2.field(1, betterproto2.TYPE_INT32)\n"
              "m = M(x=3)\n"
              "m.x = 'not a number'\n"
              "try:\n"
              "    bytes(m)\n"
              "except pydantic.ValidationError:\n"
              "    print('validated', vertex_tuning.TuningJob()._is_pydantic())\n")
    assert out.split() == ["validated", "False"]


def test_importing_the_package_loads_no_message_module_until_a_name_is_used() -> None:
    # Only the generated list of public names (no class) is loaded to answer `vertex_tuning.__all__`.
    names_only = ("vertex_tuning_protos", "vertex_tuning_protos._public_names")
    out = run("import sys, vertex_tuning\n"
              f"print(sorted(m for m in sys.modules if m.startswith(('vertex_tuning_protos', 'httpx')) and m not in {names_only!r}))\n"
              "vertex_tuning.NotFound\n"
              "print('vertex_tuning_protos.google.cloud.aiplatform.v1' in sys.modules, 'httpx' in sys.modules)\n")
    assert out.splitlines() == ["[]", "True False"]


def test_every_public_name_resolves_to_the_object_of_its_module() -> None:
    import vertex_tuning
    from vertex_tuning import _client, _config, _json, _time, errors, operations, pagination, resources, types

    homes = [types, _client, _config, _json, _time, errors, operations, pagination]  # types: `Any` is a message
    for name in set(vertex_tuning.__all__) - {"errors", "resources"}:
        value = getattr(vertex_tuning, name)
        expected = [vars(m)[name] for m in homes if name in vars(m)]
        assert expected, name
        assert value is expected[0], name
    assert vertex_tuning.errors is errors and vertex_tuning.resources is resources
    assert set(vertex_tuning.__all__) <= set(dir(vertex_tuning))
    out = run("from vertex_tuning import *\nimport vertex_tuning\nprint(set(vertex_tuning.__all__) <= set(globals()))")
    assert out.strip() == "True"


def test_messages_use_the_lossless_codec_after_any_name_is_used() -> None:
    # The first lazily loaded name installs the codec-backed methods on every message class.
    out = run("import vertex_tuning\n"
              "vertex_tuning.Retry\n"
              "from vertex_tuning_protos.google.protobuf import Timestamp\n"
              "print(Timestamp(seconds=1, nanos=1).to_dict())\n")
    assert out.strip() == "1970-01-01T00:00:01.000000001Z"


def test_loading_the_messages_skips_dateutil_until_betterproto2s_own_timestamp_parsing_runs() -> None:
    out = run("import sys\n"
              "from vertex_tuning import TuningJob\n"
              "from vertex_tuning_protos.google import protobuf\n"
              "print('dateutil' in sys.modules, hasattr(protobuf, 'FileDescriptorProto'))\n"
              "from vertex_tuning._message_methods import betterproto2_methods\n"
              "with betterproto2_methods():\n"
              "    print(protobuf.Timestamp.from_dict('2024-01-02T03:04:05.5Z').nanos, 'dateutil' in sys.modules)\n")
    assert out.split() == ["False", "False", "500000000", "True"]


def test_a_betterproto2_that_needs_more_from_its_version_module_is_imported_plainly(tmp_path: Path) -> None:
    package = tmp_path / "betterproto2"
    package.mkdir()
    (package / "__init__.py").write_text("from ._version import __version__, check_compiler_version, EXTRA\n")
    (package / "_version.py").write_text("__version__ = '9.9.0'\nEXTRA = 1\ndef check_compiler_version(v): pass\n")
    info = tmp_path / "betterproto2-9.9.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: betterproto2\nVersion: 9.9.0\n")
    code = "import sys\nfrom vertex_tuning._lean_betterproto import import_betterproto2\nimport betterproto2\n" \
           "print(betterproto2.__file__.startswith(sys.argv[1]), betterproto2.EXTRA)"
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "1"]


def test_the_public_message_names_are_the_generated_packages_classes() -> None:
    # The generator lists them (tools/publicgen.py): nothing in src/ names a message by hand.
    from vertex_tuning_protos._public_names import PUBLIC_NAMES

    import vertex_tuning
    from vertex_tuning import types

    v1 = sys.modules[types.TuningJob.__module__]  # the API package of whichever version was generated
    assert set(v1.__all__) <= set(types.__all__) == set(PUBLIC_NAMES)
    assert set(PUBLIC_NAMES) <= set(vertex_tuning.__all__)
    assert all(getattr(vertex_tuning, name) is getattr(types, name) for name in PUBLIC_NAMES)
