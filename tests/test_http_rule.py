"""One grammar for ``google.api.http`` rules: the transport expands them, the router matches them."""

from __future__ import annotations

import pytest

from vertex_tuning._http_rule import HttpRule, Variable, parse_rule

CANCEL = HttpRule("POST", "/v1/{name=projects/*/locations/*/tuningJobs/*}:cancel", "*")
REBASE = HttpRule("POST", "/v1/{parent=projects/*/locations/*}/tuningJobs:rebaseTunedModel", "*")
LIST = HttpRule("GET", "/v1/{parent=projects/*/locations/*}/tuningJobs")


def test_parts_alternate_literals_and_variables() -> None:
    assert CANCEL.parts == ("/v1/", Variable("name", "projects/*/locations/*/tuningJobs/*"), ":cancel")
    assert HttpRule("GET", "/v1/{name}").variables == (Variable("name", "*"),)


@pytest.mark.parametrize(
    ("rule", "verb"), [(CANCEL, "cancel"), (REBASE, "rebaseTunedModel"), (LIST, None)]
)
def test_custom_verb_is_the_suffix_after_the_last_colon(rule: HttpRule, verb: str | None) -> None:
    assert rule.custom_verb == verb


def test_reads_and_idempotent_custom_verbs_may_be_repeated_creates_and_rebases_not() -> None:
    assert LIST.idempotent and CANCEL.idempotent
    assert not REBASE.idempotent and not HttpRule("POST", "/v1/{parent=projects/*}/tuningJobs").idempotent


def test_match_binds_each_variable_and_refuses_other_shapes() -> None:
    name = "projects/p/locations/l/tuningJobs/a%2Fb"
    assert CANCEL.match(f"/v1/{name}:cancel") == {"name": name}
    assert CANCEL.match("/v1/projects/p/locations/l/tuningJobs/1/x:cancel") is None
    assert CANCEL.match("/v1/projects/p/locations/l/tuningJobs/1") is None
    assert LIST.match("/v1/projects/p/locations/l/tuningJobs:rebaseTunedModel") is None


def test_expand_is_the_inverse_of_match() -> None:
    values = {"parent": "projects/p/locations/l"}
    assert LIST.match(LIST.expand(values)) == values
    assert HttpRule("GET", "/v1/{job.name=projects/**}").expand({"job.name": "projects/a/b/c"}) == "/v1/projects/a/b/c"


def test_parse_rule_reads_the_schema_table_shape() -> None:
    assert parse_rule({"method": "get", "path": "/v1/{name=x/*}", "body": None}) == HttpRule("GET", "/v1/{name=x/*}")
