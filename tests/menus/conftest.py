"""Fixtures of the menu tests."""

from __future__ import annotations

import pytest

from serving import Receiver


@pytest.fixture
def receivers():
    """A factory of local receivers (`serving.Receiver`), closed at the end."""
    made: list[Receiver] = []

    def make(*args, **kwargs) -> Receiver:
        made.append(Receiver(*args, **kwargs))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()
