"""Every way of choosing data, behind one protocol (`select`) and one registry (`STRATEGIES`).

Importing this package imports each of its modules, so each registers its strategies; a module that
`nbdev-export` adds to this folder is picked up without editing this file. (Hand-written, not generated.)"""
import importlib as _importlib, pkgutil as _pkgutil
from .protocol import *
from .protocol import STRATEGIES, StrategyInfo, register, make_strategy, strategy_table, all_strategies

for _m in sorted(m.name for m in _pkgutil.iter_modules(__path__)):
    _mod = _importlib.import_module(f"{__name__}.{_m}")
    globals().update({_k: getattr(_mod, _k) for _k in getattr(_mod, "__all__", ())})
del _m, _mod
