"""The codec: exact round trips (hypothesis), botocore compatibility, errors with paths.

Every test runs twice: on the pure-Python module the dev install uses, and on the same source
compiled by mypyc (what the compiled wheel ships, see setup.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

import dynaform.data.codec
from tests.data.compiled import build


@pytest.fixture(scope="module", params=["pure", "compiled"])
def codec(request: pytest.FixtureRequest) -> Any:
    if request.param == "pure":
        return dynaform.data.codec
    return build(request.config.cache.mkdir("mypyc-codec"))


numbers = st.one_of(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.decimals(allow_nan=False, allow_infinity=False, places=None)
    .filter(lambda d: d == 0 or Decimal("1E-130") <= abs(d) < Decimal("1E+126"))
    .filter(lambda d: len(d.as_tuple().digits) <= 38),
)
scalars = st.one_of(
    st.text(),
    numbers,
    st.booleans(),
    st.none(),
    st.binary(),
    st.frozensets(st.text(), min_size=1),
    st.frozensets(st.binary(), min_size=1),
    st.frozensets(st.integers(min_value=-(10**30), max_value=10**30), min_size=1),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(), inner, max_size=5)
    ),
    max_leaves=20,
)
items = st.dictionaries(st.text(min_size=1), values, min_size=1, max_size=8)


def normal(value: Any) -> Any:
    """What a round trip returns: frozensets come back as sets, tuples as lists."""
    if isinstance(value, frozenset):
        return set(value)
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    return value


@settings(max_examples=300, deadline=None)
@given(items)
def test_round_trip_is_exact(codec: Any, item: dict[str, Any]) -> None:
    assert codec.unmarshal(codec.marshal(item)) == normal(item)
    as_bytes = codec.Encoder(binary=bytes).item(item)
    assert codec.Decoder().item(as_bytes) == normal(item)


@settings(max_examples=200, deadline=None)
@given(items)
def test_botocore_form_matches_boto3(codec: Any, item: dict[str, Any]) -> None:
    ours = codec.Encoder(binary=bytes).item(item)
    theirs = {k: TypeSerializer().serialize(normal_for_boto3(v)) for k, v in item.items()}
    assert canonical(ours) == canonical(theirs)
    assert codec.Decoder().item(theirs) == {
        k: TypeDeserializer().deserialize(v) for k, v in theirs.items()
    }


def normal_for_boto3(value: Any) -> Any:
    if isinstance(value, frozenset):
        return set(value)
    if isinstance(value, dict):
        return {k: normal_for_boto3(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normal_for_boto3(v) for v in value]
    return value


def canonical(item: dict[str, Any]) -> dict[str, Any]:
    return {name: canonical_av(av) for name, av in item.items()}


def canonical_av(av: dict[str, Any]) -> Any:
    """Sets in AttributeValues are unordered; numbers compare by value."""
    [(tag, inner)] = av.items()
    if tag in {"SS", "BS"}:
        return tag, sorted(inner)
    if tag == "NS":
        return tag, sorted(Decimal(x) for x in inner)
    if tag == "N":
        return tag, Decimal(inner)
    if tag == "M":
        return tag, canonical(inner)
    if tag == "L":
        return tag, [canonical_av(x) for x in inner]
    return tag, inner


def test_38_digit_numbers_and_range_edges_are_exact(codec: Any) -> None:
    big = 10**38 - 1
    tiny = Decimal("1E-130")
    precise = Decimal("3.1415926535897932384626433832795028841")
    item = {"big": big, "tiny": tiny, "pi": precise, "neg": -big}
    wire = codec.marshal(item)
    assert wire["big"] == {"N": "9" * 38}
    assert codec.unmarshal(wire) == item


@pytest.mark.parametrize(
    ("item", "path", "text"),
    [
        ({"a": {"b": [1, set()]}}, "a.b[1]", "empty set"),
        ({"price": 1.5}, "price", "is a float"),
        ({"n": 10**38 + 1}, "n", "38 significant digits"),
        ({"d": Decimal("1E+126")}, "d", "out of DynamoDB's number range"),
        ({"d": Decimal("NaN")}, "d", "not a number"),
        ({"m": {1: "x"}}, "m", "map keys must be strings"),
        ({"s": {1, "a"}}, "s", "only strings, only numbers or only bytes"),
        ({"o": object()}, "o", "cannot store a object"),
    ],
)
def test_invalid_values_name_their_path(
    codec: Any, item: dict[str, Any], path: str, text: str
) -> None:
    with pytest.raises(codec.CodecError) as caught:
        codec.marshal(item)
    assert caught.value.path == path
    assert text in str(caught.value)


def test_floats_only_when_asked_and_never_rounded(codec: Any) -> None:
    encoder = codec.Encoder(allow_float=True)
    assert encoder.item({"x": 0.1}) == {"x": {"N": "0.1"}}
    assert codec.unmarshal(encoder.item({"x": 1e-7})) == {"x": Decimal("1e-7")}
