"""regen's protoc plugin: betterproto2's output, the dateutil import moved where it is used, or a loud stop."""

from __future__ import annotations

import pytest

from tools.betterproto2_plugin import lazy_dateutil

MODULE = (
    "import betterproto2\nimport dateutil.parser\n\n"
    "class Timestamp:\n"
    "    @classmethod\n"
    "    def from_dict(cls, value):\n"
    "        if isinstance(value, str):\n"
    "            dt = dateutil.parser.isoparse(value)\n"
    "            return dt\n"
)


def test_the_dateutil_import_moves_into_the_one_method_that_uses_it() -> None:
    code = lazy_dateutil(MODULE)
    assert code.startswith("import betterproto2\n\n")
    namespace: dict[str, object] = {}
    exec(compile(code, "wkt", "exec"), namespace)  # noqa: S102 (the module under test)
    assert namespace["Timestamp"].from_dict("2024-01-02T03:04:05Z").year == 2024  # type: ignore[attr-defined]


@pytest.mark.parametrize("changed", [
    MODULE.replace("import dateutil.parser\n", ""),
    MODULE + "    x = dateutil.tz.UTC\n",
    MODULE.replace("dt = dateutil", "dt  = dateutil"),
])
def test_output_that_no_longer_looks_as_expected_stops_the_run(changed: str) -> None:
    with pytest.raises(SystemExit, match="no longer uses dateutil"):
        lazy_dateutil(changed)
