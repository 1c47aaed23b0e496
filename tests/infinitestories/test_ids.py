"""Ids name their kind and give nothing away: no count, no order (infinitestories.ids)."""

from infinitestories.ids import new_id


def test_ids_are_opaque_and_not_sequential():
    ids = {new_id("hero") for _ in range(1000)}

    assert len(ids) == 1000
    assert all(i.startswith("hero_") and len(i) == 27 for i in ids)
