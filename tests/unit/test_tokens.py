from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.helpers import create_deep_linked_url

from storage.invitations import TOKEN_PATTERN, hash_token, new_token


@settings(max_examples=300)
@given(st.integers())
def test_tokens_fit_deep_links_and_carry_144_bits(_: int) -> None:
    token = new_token()
    assert TOKEN_PATTERN.match(token)
    assert len(token) <= 64
    assert len(token) * 6 >= 128
    assert create_deep_linked_url("cellbot_test_bot", token).endswith(f"?start={token}")


def test_tokens_are_unique_and_only_the_hash_is_stored() -> None:
    tokens = {new_token() for _ in range(5000)}
    assert len(tokens) == 5000
    token = next(iter(tokens))
    digest = hash_token(token)
    assert token not in digest and len(digest) == 64


@given(st.text(max_size=100))
def test_hash_accepts_any_text(text: str) -> None:
    assert len(hash_token(text)) == 64
