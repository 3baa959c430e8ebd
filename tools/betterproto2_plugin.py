"""The protoc plugin regen runs: betterproto2's own, minus what only costs the runtime import time.

betterproto2's plugin writes one module per proto package, with a class for every message of
every file protoc hands it, imports included. Two things in its output cost every process that
loads the messages and serve nothing here:

* ``google/protobuf/descriptor.proto`` (imported by the ``google.api`` annotations): about 30
  message and 20 enum classes in ``vertex_tuning_protos.google.protobuf``, roughly half that
  module's import time. No message of ours refers to them (a reference would make the plugin
  fail, not drop it silently); the descriptors themselves live in ``descriptor_set.binpb``.
* ``import dateutil.parser`` at the top of ``google.protobuf``, used only by betterproto2's own
  ``Timestamp.from_dict`` (~10 ms), which our codec replaces: it moves into that method.

Everything else is betterproto2's output unchanged. ``main`` speaks the plugin protocol
(request on stdin, response on stdout); regen points protoc at it.
"""

from __future__ import annotations

import sys

UNUSED_FILES = frozenset({"google/protobuf/descriptor.proto"})
_WKT_MODULE = "google/protobuf/__init__.py"
_DATEUTIL_TOP = "import dateutil.parser\n"
_DATEUTIL_USE = "            dt = dateutil.parser.isoparse(value)\n"
_DATEUTIL_LOCAL = (
    "            import dateutil.parser  # only betterproto2's own parsing needs it: loaded when used\n\n"
    + _DATEUTIL_USE
)


def lazy_dateutil(code: str) -> str:
    """The well-known types' module with its one ``dateutil`` use importing it locally."""
    if code.count(_DATEUTIL_TOP) != 1 or code.count(_DATEUTIL_USE) != 1 or code.count("dateutil") != 2:
        raise SystemExit(f"betterproto2's {_WKT_MODULE} no longer uses dateutil as tools/betterproto2_plugin.py expects")
    return code.replace(_DATEUTIL_TOP, "", 1).replace(_DATEUTIL_USE, _DATEUTIL_LOCAL, 1)


def main() -> None:
    """Run betterproto2's plugin on protoc's request without ``UNUSED_FILES``; adjust its output."""
    from betterproto2_compiler.lib.google.protobuf.compiler import CodeGeneratorRequest
    from betterproto2_compiler.plugin.parser import generate_code

    request = CodeGeneratorRequest.parse(sys.stdin.buffer.read())
    request.proto_file = [f for f in request.proto_file if f.name not in UNUSED_FILES]
    request.file_to_generate = [f for f in request.file_to_generate if f not in UNUSED_FILES]
    response = generate_code(request)
    for file in response.file:
        if file.name == _WKT_MODULE:
            file.content = lazy_dateutil(file.content)
    sys.stdout.buffer.write(bytes(response))


if __name__ == "__main__":
    main()
