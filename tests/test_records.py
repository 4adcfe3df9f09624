"""`feedsmith.records`: records behave as the dataclasses they stand in for (the oracle here is
`dataclasses` itself), and are slotted, picklable and unhashable."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from feedsmith.records import field, mutable_record, record, replace, values


@record
class Item:
    """Defined at module level, so that pickle finds it."""

    title: str
    day: int = 1
    tags: list[str] = field(default_factory=list)

    def shout(self) -> str:
        return self.title.upper()


@dataclasses.dataclass
class ItemAsDataclass:
    title: str
    day: int = 1
    tags: list[str] = dataclasses.field(default_factory=list)


@mutable_record
class Tally:
    count: int = 0

    def __repr__(self) -> str:
        return f"{self.count} so far"


def test_a_record_is_made_repr_and_compared_as_a_dataclass() -> None:
    ours, theirs = Item("A", 2, ["x"]), ItemAsDataclass("A", 2, ["x"])
    assert repr(ours) == repr(theirs).replace("ItemAsDataclass", "Item")
    assert repr(Item("B")) == "Item(title='B', day=1, tags=[])"
    assert Item("A", 2, ["x"]) == ours and Item("A", 3, ["x"]) != ours
    others: list[object] = [theirs, ("A", 2, ["x"])]
    assert all(ours != other for other in others)  # another class is never equal
    assert Item(day=5, title="C").day == 5 and ours.shout() == "A"
    assert Item.__match_args__ == ("title", "day", "tags")
    assert values(ours) == {"title": "A", "day": 2, "tags": ["x"]}


def test_each_record_gets_its_own_default_from_a_factory() -> None:
    first, second = Item("A"), Item("B")
    first.tags.append("x")
    assert second.tags == [] and Item("C", tags=["y"]).tags == ["y"]


def test_a_record_takes_only_its_fields() -> None:
    with pytest.raises(TypeError):
        Item()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Item("A", colour="red")  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        Item("A").colour = "red"  # type: ignore[attr-defined]  # slots: no __dict__
    assert not hasattr(Item("A"), "__dict__")


def test_replace_copies_with_changes_and_refuses_unknown_fields() -> None:
    item = Item("A", 2, ["x"])
    assert replace(item, day=3) == Item("A", 3, ["x"]) and item.day == 2
    with pytest.raises(TypeError, match="has no field colour"):
        replace(item, colour="red")


def test_records_survive_pickle_and_are_not_hashable() -> None:
    item = Item("A", 2, ["x"])
    assert pickle.loads(pickle.dumps(item)) == item  # the forked reader sends entries so
    with pytest.raises(TypeError):
        hash(item)
    tally = Tally()
    tally.count += 1
    assert tally == Tally(1) and repr(tally) == "1 so far"  # its own method stays
