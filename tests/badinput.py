"""The bad-input contract of ``lib``, shared by the ``test_bad_input_*`` modules.

DEVELOPERS.md: bad input gets a clear error naming the argument, the value and
what was expected; a solver that does not converge raises; nothing fails
silently into NaN. Each ``test_bad_input_*`` module registers the public
callables it exercises with :func:`covers`; ``test_bad_input_api.py``
enumerates lib's public API and fails when a callable has no case.
"""
from __future__ import annotations

import re

import pytest

#: qualified names ("lib.data.sphere_points") with at least one bad-input case
COVERED: set[str] = set()

#: public names that take no input a caller could get wrong, with the reason
#: (result records that lib builds itself, exception classes, constants)
EXEMPT: dict[str, str] = {}


def covers(*qualnames: str):
    """Decorator: register ``qualnames`` as covered by the decorated test."""
    for q in qualnames:
        if not q.startswith("lib."):
            raise ValueError(f"qualified name must start with 'lib.', got {q!r}")
    COVERED.update(qualnames)

    def mark(test):
        return test

    return mark


def exempt(qualname: str, why: str):
    """Record that ``qualname`` needs no bad-input case, and why."""
    EXEMPT[qualname] = why


def raises_naming(exc, names, fn, *args, **kwargs):
    """Call ``fn`` and assert it raises ``exc`` with a message naming one of ``names``.

    ``names`` is a string or a tuple of strings (the argument's name, or its
    symbol in the book). Returns the exception for further checks.
    """
    names = (names,) if isinstance(names, str) else tuple(names)
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    assert any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", message) for n in names), (
        f"{type(info.value).__name__} does not name {names}: {message!r}"
    )
    return info.value
