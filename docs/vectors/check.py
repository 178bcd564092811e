#!/usr/bin/env python3
"""Independent checker for custodia's test vectors (docs/vectors/events.json).

Uses only the Python standard library to recompute every canonical form (RFC 8785, for the
subset events use: objects, arrays, strings, integers, booleans) and every id (SHA-256).
Signatures are verified too when the `cryptography` or `PyNaCl` package is installed, and
skipped (with a note) otherwise. See docs/FORMAT.md.

Usage: python3 docs/vectors/check.py [docs/vectors/events.json]
"""

import hashlib
import json
import os
import sys

MAX_EXACT = 2**53 - 1


def jcs_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def utf16_key(s):
    return s.encode("utf-16-be")


def jcs(v):
    """RFC 8785 canonical JSON of a value without floats."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        if not -MAX_EXACT <= v <= MAX_EXACT:
            raise ValueError("integer %d is outside the exact range of JCS numbers" % v)
        return str(v)
    if isinstance(v, float):
        raise ValueError("events carry no floats")
    if isinstance(v, str):
        return jcs_string(v)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=utf16_key)
        return "{" + ",".join(jcs_string(k) + ":" + jcs(v[k]) for k in keys) + "}"
    raise TypeError("not a JSON value: %r" % (v,))


def event_id(event):
    content = {k: x for k, x in event.items() if k not in ("id", "signatures")}
    canonical = jcs(content)
    return canonical, hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verifier():
    """A function (key_hex, sig_hex, message) -> bool, or None without a crypto library."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        def verify(key, sig, msg):
            try:
                Ed25519PublicKey.from_public_bytes(bytes.fromhex(key)).verify(bytes.fromhex(sig), msg)
                return True
            except InvalidSignature:
                return False

        return verify
    except ImportError:
        pass
    try:
        import nacl.exceptions
        import nacl.signing

        def verify(key, sig, msg):
            try:
                nacl.signing.VerifyKey(bytes.fromhex(key)).verify(msg, bytes.fromhex(sig))
                return True
            except nacl.exceptions.BadSignatureError:
                return False

        return verify
    except ImportError:
        return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "events.json")
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
    verify = verifier()
    failures = []
    ids = sigs = 0
    for e in vectors["events"]:
        n = e["n"]
        canonical, digest = event_id(e["event"])
        if canonical != e["canonical"]:
            failures.append("event %d: canonical form differs" % n)
        if digest != e["id"]:
            failures.append("event %d: id %s, computed %s" % (n, e["id"], digest))
        else:
            ids += 1
        # The JSONL line is the canonical JSON of the event with its id and signatures, and
        # hashing it (without those two members) gives the same id.
        line = json.loads(e["jsonl"])
        if jcs(line) != e["jsonl"] or line["id"] != digest or event_id(line)[1] != digest:
            failures.append("event %d: jsonl line is not the canonical signed event" % n)
        if not e["signatures"]:
            failures.append("event %d: no signatures" % n)
        if verify is not None:
            for s in e["signatures"]:
                if verify(s["key"], s["sig"], bytes.fromhex(digest)):
                    sigs += 1
                else:
                    failures.append("event %d: signature by %s does not verify" % (n, s["key"]))
    for f in failures:
        print("FAIL " + f)
    print("%d ids ok" % ids)
    if verify is None:
        print("signatures skipped: install `cryptography` or `PyNaCl` to verify them")
    else:
        print("%d signatures ok" % sigs)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
