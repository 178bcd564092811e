"""custodia: the books of a national stockpile of small arms, light weapons, ammunition and
explosives, kept as a verifiable graph of signed events.

>>> import custodia
>>> with custodia.Ledger.open("armoury.ledger") as ledger:   # read-only without the log key
...     report = ledger.verify()
...     stock = ledger.to_pandas("stock_totals")

Every method calls the ledger's front door (the Rust crate ``custodia``) and releases the GIL
while it works. Results are plain dicts and lists, or pandas DataFrames (``pip install
'custodia[pandas]'``). Every error is a :class:`CustodiaError` of its family.
"""

from __future__ import annotations

from . import rules, testing
from ._custodia import (
    BATCH_EVENTS_MAX,
    FORMAT_VERSION,
    EventIterator,
    Key,
    Ledger,
    Plugin,
    RuleSet,
    Verdict,
    VerifyReport,
    __version__,
    error_codes,
    verify_signature,
)
from ._errors import (
    AuthorisationError,
    CustodiaError,
    CustodyError,
    InputError,
    IntegrityError,
    RuleViolation,
    SignatureError,
    StorageError,
    UsageError,
    ValidationError,
)

__all__ = [
    "__version__",
    "FORMAT_VERSION",
    "BATCH_EVENTS_MAX",
    "Ledger",
    "Key",
    "VerifyReport",
    "EventIterator",
    "RuleSet",
    "Plugin",
    "Verdict",
    "error_codes",
    "verify_signature",
    "rules",
    "testing",
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
