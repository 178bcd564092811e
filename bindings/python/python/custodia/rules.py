"""National rule plugins: load them, put them in force, and test them.

A :class:`RuleSet` is the engine a ledger runs while rules are in force
(``Ledger.open(path, key, rules=RuleSet.load("plugins/"))``, then
``ledger.put_rules_in_force(rules, actor, key)``). A :class:`Plugin` is one rule loaded on its
own; :func:`test` judges an input document with it and returns the :class:`Verdict`.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Union

from ._custodia import Plugin, RuleSet, Verdict, test_rule

__all__ = ["RuleSet", "Plugin", "Verdict", "test"]


def test(
    plugin: Union[Plugin, str, "os.PathLike[str]"],
    context: Union[Dict[str, Any], str, bytes, "os.PathLike[str]"],
) -> Verdict:
    """Judges ``context`` (the ABI's input document: a dict, JSON text, or a path to a JSON
    file) with ``plugin`` (a :class:`Plugin`, or the path of a manifest or module).

    A plugin that traps, loops or returns garbage raises :class:`custodia.RuleViolation`
    (``RuleFailed``); a plugin that cannot be loaded raises it too (``PluginLoad``).
    """
    return test_rule(plugin, context)


# Not a pytest test, whatever imports it.
test.__test__ = False  # type: ignore[attr-defined]
