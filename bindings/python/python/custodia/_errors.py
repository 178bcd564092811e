"""The exception classes: one per error family of the ledger's front door.

Every error a ledger raises is a :class:`CustodiaError`; its class says the family, its ``code``
(a stable number whose thousands digit is the family) and ``name`` say exactly what happened,
and ``index``, ``event_id`` and ``field`` say where. ``docs/ERRORS.md`` lists every code.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type

__all__ = [
    "CustodiaError",
    "InputError",
    "ValidationError",
    "CustodyError",
    "AuthorisationError",
    "SignatureError",
    "RuleViolation",
    "IntegrityError",
    "StorageError",
    "UsageError",
]


class CustodiaError(Exception):
    """A refusal or failure of the ledger.

    Attributes:
        code: the stable error code (``3001``); its thousands digit is the family.
        name: the code's name (``"InsufficientStock"``).
        family: the family's name (``"custody"``).
        message: what went wrong, without the location.
        index: the position of the event concerned: in the batch being appended or signed,
            or in the ledger being verified.
        event_id: the id of the event concerned, when it could be computed.
        field: the JSON Pointer of the offending member inside the event
            (``"/lots/0/quantity"``), or the name of the offending argument.
        values: the values involved (``{"stock": ..., "available": ..., "requested": ...}``).
    """

    code: int
    name: str
    family: str
    message: str
    index: Optional[int]
    event_id: Optional[str]
    field: Optional[str]
    values: Dict[str, Any]

    def __init__(
        self,
        text: str,
        *,
        code: int = 0,
        name: str = "",
        family: str = "",
        message: Optional[str] = None,
        index: Optional[int] = None,
        event_id: Optional[str] = None,
        field: Optional[str] = None,
        values: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(text)
        self.code = code
        self.name = name
        self.family = family
        self.message = text if message is None else message
        self.index = index
        self.event_id = event_id
        self.field = field
        self.values = {} if values is None else values

    def __reduce__(self) -> Tuple[Any, ...]:
        details = {
            "code": self.code,
            "name": self.name,
            "family": self.family,
            "message": self.message,
            "index": self.index,
            "event_id": self.event_id,
            "field": self.field,
            "values": self.values,
        }
        return (_rebuild, (type(self), str(self), details))


def _rebuild(cls: Type[CustodiaError], text: str, details: Dict[str, Any]) -> CustodiaError:
    return cls(text, **details)


class InputError(CustodiaError, ValueError):
    """1xxx: the bytes are not a valid event or batch (size, JSON, schema, canonical form, id)."""


class ValidationError(CustodiaError, ValueError):
    """2xxx: a well-formed event the ledger refuses (references, quantities, parents, dates)."""


class CustodyError(CustodiaError, ValueError):
    """3xxx: custody and conservation (who holds what, balances, destroyed stock)."""


class AuthorisationError(CustodiaError):
    """4xxx: authorisation (roles, destruction authorisations)."""


class SignatureError(CustodiaError):
    """5xxx: signatures and keys (unsigned, bad or revoked signatures, key files)."""


class RuleViolation(CustodiaError):
    """6xxx: national rule plugins (a denial, a plugin that failed, was not loaded or not found)."""


class IntegrityError(CustodiaError):
    """7xxx: integrity of a stored or exported ledger (verification failures, damaged files)."""


class StorageError(CustodiaError):
    """8xxx: storage (missing files, not a ledger, a busy ledger, read-only access)."""


class UsageError(CustodiaError, ValueError, TypeError):
    """9xxx: usage (bad arguments, calls in the wrong state, a closed ledger) and internal
    failures (a panic caught at the boundary is ``Panic``, 9009).

    Also a ``ValueError`` and a ``TypeError``: an argument of the wrong type or value raises it
    (as ``numpy.AxisError`` is both a ``ValueError`` and an ``IndexError``).
    """


_FAMILIES: Dict[str, Type[CustodiaError]] = {
    "input": InputError,
    "validation": ValidationError,
    "custody": CustodyError,
    "authorisation": AuthorisationError,
    "signature": SignatureError,
    "rule": RuleViolation,
    "integrity": IntegrityError,
    "storage": StorageError,
    "usage": UsageError,
}


def _from_core(text: str, **details: Any) -> CustodiaError:
    """Builds the exception of an error's family (called by the compiled module)."""
    cls = _FAMILIES.get(details.get("family", ""), CustodiaError)
    return cls(text, **details)
