"""Every public callable of ``lib`` has a bad-input case (or a stated exemption)."""
import importlib
import inspect
from pathlib import Path

import lib

import badinput


def _public_callables():
    names = []
    for modname in lib.__all__:
        module = importlib.import_module(f"lib.{modname}")
        assert hasattr(module, "__all__"), f"lib.{modname} has no __all__"
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                names.append(f"lib.{modname}.{name}")
    return names


def test_every_public_callable_has_a_bad_input_case():
    for path in sorted(Path(__file__).parent.glob("test_bad_input_*.py")):
        if path.stem != "test_bad_input_api":
            importlib.import_module(path.stem)  # registers its cases in badinput.COVERED
    public = _public_callables()
    assert len(public) > 50
    missing = [q for q in public if q not in badinput.COVERED and q not in badinput.EXEMPT]
    assert not missing, f"public callables with no bad-input case: {missing}"
    stale = sorted((badinput.COVERED | set(badinput.EXEMPT)) - set(public))
    assert not stale, f"cases registered for names that are not public: {stale}"
