from __future__ import annotations

from fairclick.domain.ids import CODE_ALPHABET, is_valid_code, new_click_id, new_code, slugify


def test_codes_are_long_random_and_url_safe() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) >= 8 and set(c) <= set(CODE_ALPHABET) and is_valid_code(c) for c in codes)


def test_click_ids_are_unique_and_time_ordered() -> None:
    ids = [new_click_id() for _ in range(5000)]
    assert len(set(ids)) == 5000
    assert ids == sorted(ids)


def test_slug() -> None:
    assert slugify("Primaire : où voter") == "primaire-ou-voter"
    assert slugify("!!!") == "campaign"
