"""The fast canonical form (json.dumps for float-free JSON) is byte for byte RFC 8785's."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.chain import _SAFE, _plain, jcs

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-_SAFE, max_value=_SAFE)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)
_json = st.recursive(
    _scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20
)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_jcs_is_rfc8785(value):
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, ValueError):
        return
    assert jcs(value) == expected


def test_the_fast_path_is_taken_for_an_ordinary_event_and_not_for_floats():
    event = {"incident": 1, "seq": 2, "text": '메모\n"x"\x01', "data": {"b": [1, None], "a": True}}
    assert _plain(event) and jcs(event) == rfc8785.dumps(event)
    assert not _plain({"x": 1.5}) and jcs({"x": 1.5}) == rfc8785.dumps({"x": 1.5})
    assert not _plain({"\ue000": 1, "\U0001f600": 2})
    assert jcs({"\ue000": 1, "\U0001f600": 2}) == rfc8785.dumps({"\ue000": 1, "\U0001f600": 2})
