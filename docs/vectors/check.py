#!/usr/bin/env python3
"""Independent checker for custodia's test vectors, standard library only.

- docs/vectors/events.json (format version 1) and events-v2.json (version 2): recomputes every
  canonical form (RFC 8785, for the values events use: objects, arrays, strings, integers,
  booleans), every id (SHA-256) and verifies every signature (Ed25519, RFC 8032, with
  custodia's strict rules, implemented below).
- docs/vectors/edge-cases.json: checks each line as a verifier of an export does (the bytes
  must be the canonical form) and compares the verdict and error code with the expected ones.
- --ed25519 FILE: prints the verdict of this verifier on each case of an ed25519-speccheck
  style file (a list of {message, pub_key, signature} in hex), and whether the key passes
  the key check, for cross-checks.
- --jcs DIR: canonicalises the RFC 8785 reference vectors of DIR (input/, output/) that hold
  no floats and compares the bytes.

Verification, as custodia does it (docs/FORMAT.md, section 4: ZIP 215 plus key and R rules):
- the public key is the canonical encoding of a curve point (y < p, and x = 0 only with a
  clear sign bit), the point is not of small order ([8]A is not the identity) and it is
  torsion-free ([L]A is the identity); any other key never verifies (and is refused at
  registration: 5007, or 5010 for a mixed-order key in format version 2);
- R is the canonical encoding of a point that is not of small order, S < L;
- [8][S]B = [8]R + [8][k]A with k = SHA-512(R || A || M) mod L (cofactored). With such keys it
  differs from RFC 8032's cofactorless check (OpenSSL's) only for an R with a torsion part.

Usage: python3 docs/vectors/check.py [EVENTS_JSON] [--edge-cases FILE]
       python3 docs/vectors/check.py --ed25519 FILE
       python3 docs/vectors/check.py --jcs DIR
Exit status 0 when every check passes, 1 otherwise.
"""

import hashlib
import json
import os
import sys

MAX_EXACT = 2**53 - 1

# Error codes (docs/ERRORS.md) this checker can tell apart.
JSON_MALFORMED = 1002
DUPLICATE_MEMBER = 1003
ID_MISSING = 1007
ID_MISMATCH = 1008
NOT_CANONICAL_BYTES = 1009
UNSIGNED = 5001
BAD_SIGNATURE = 5002


# ---------------------------------------------------------------------------------------------
# RFC 8785


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
            # Everything else as itself: DEL, non-ASCII, and U+2028 / U+2029 too.
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


class DuplicateMember(ValueError):
    pass


def no_duplicates(pairs):
    """An object hook that refuses a member name given twice (I-JSON, RFC 7493)."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise DuplicateMember(k)
        out[k] = v
    return out


def parse_strict(text):
    return json.loads(text, object_pairs_hook=no_duplicates)


# ---------------------------------------------------------------------------------------------
# Ed25519 (RFC 8032 section 5.1), strict

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1, 1, 0)


def point_add(a, b):
    # Extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z (RFC 8032 5.1.4).
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def scalar_mult(s, pt):
    q = IDENTITY
    while s > 0:
        if s & 1:
            q = point_add(q, pt)
        pt = point_add(pt, pt)
        s >>= 1
    return q


def point_equal(a, b):
    x1, y1, z1, _ = a
    x2, y2, z2, _ = b
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def decode_point(b):
    """The point a 32-byte encoding names, or None (not a point, or not canonical)."""
    if len(b) != 32:
        return None
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def encode_point(pt):
    x, y, z, _ = pt
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def small_order(pt):
    return point_equal(scalar_mult(8, pt), IDENTITY)


G_Y = 4 * pow(5, P - 2, P) % P
G = (recover_x(G_Y, 0), G_Y, 1, recover_x(G_Y, 0) * G_Y % P)


KEY_INVALID = 5007
KEY_MIXED_ORDER = 5010
_key_faults = {}


def key_fault(key):
    """custodia's check on a public key: None when it is the canonical encoding of a point of
    the prime-order subgroup, else the code of the refusal (5007: not a canonical point, or of
    small order; 5010: of mixed order)."""
    if key not in _key_faults:
        a = decode_point(key)
        if a is None or small_order(a):
            fault = KEY_INVALID
        elif not point_equal(scalar_mult(L, a), IDENTITY):
            fault = KEY_MIXED_ORDER
        else:
            fault = None
        _key_faults[key] = fault
    return _key_faults[key]


def key_acceptable(key):
    return key_fault(key) is None


def verify_signature(key, sig, msg):
    """custodia's verdict on one signature (ZIP 215 with its key and R rules)."""
    if len(key) != 32 or len(sig) != 64 or not key_acceptable(key):
        return False
    a = decode_point(key)
    r = decode_point(sig[:32])
    if r is None or small_order(r):
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(sig[:32] + key + msg).digest(), "little") % L
    neg_a = ((P - a[0]) % P, a[1], a[2], (P - a[3]) % P)
    neg_r = ((P - r[0]) % P, r[1], r[2], (P - r[3]) % P)
    diff = point_add(point_add(scalar_mult(s, G), scalar_mult(k, neg_a)), neg_r)
    return small_order(diff)


def verify_hex(key, sig, msg):
    try:
        return verify_signature(bytes.fromhex(key), bytes.fromhex(sig), msg)
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# One exported line


def check_line(line):
    """The error code a verifier of an export gives one line (None: accepted), without the
    ledger rules (schema, parents, keys' owners), which this script does not replay."""
    try:
        value = parse_strict(line)
    except DuplicateMember:
        return DUPLICATE_MEMBER
    except ValueError:
        return JSON_MALFORMED
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return ID_MISSING
    _, digest = event_id(value)
    if value["id"] != digest:
        return ID_MISMATCH
    if jcs(value) != line:
        return NOT_CANONICAL_BYTES
    sigs = value.get("signatures") or []
    if not sigs:
        return UNSIGNED
    for s in sigs:
        if not verify_hex(s["key"], s["sig"], bytes.fromhex(digest)):
            return BAD_SIGNATURE
    return None


def verdict_text(code):
    return "accepted" if code is None else "refused %d" % code


# ---------------------------------------------------------------------------------------------


def check_events(path, failures):
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
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
        line = parse_strict(e["jsonl"])
        if jcs(line) != e["jsonl"] or line["id"] != digest or event_id(line)[1] != digest:
            failures.append("event %d: jsonl line is not the canonical signed event" % n)
        if line["signatures"] != e["signatures"]:
            failures.append("event %d: jsonl signatures differ" % n)
        if not e["signatures"]:
            failures.append("event %d: no signatures" % n)
        for s in e["signatures"]:
            if verify_hex(s["key"], s["sig"], bytes.fromhex(digest)):
                sigs += 1
            else:
                failures.append("event %d: signature by %s does not verify" % (n, s["key"]))
        code = check_line(e["jsonl"])
        if code is not None:
            failures.append("event %d: line %s" % (n, verdict_text(code)))
    print("%d ids ok" % ids)
    print("%d signatures ok" % sigs)


def check_edge_cases(path, failures):
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    ok = 0
    for c in cases:
        expected = c["export"]
        want = None if expected["verdict"] == "accepted" else expected["code"]
        got = check_line(c["jsonl"])
        if got == want:
            ok += 1
        else:
            failures.append(
                "edge case %s: expected %s, got %s" % (c["name"], verdict_text(want), verdict_text(got))
            )
    print("%d edge cases ok" % ok)


def ed25519_cases(path):
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    for i, c in enumerate(cases):
        ok = verify_hex(c["pub_key"], c["signature"], bytes.fromhex(c["message"]))
        fault = key_fault(bytes.fromhex(c["pub_key"]))
        print(
            "ed25519 case %d: %s, key %s"
            % (i, "accept" if ok else "reject", "ok" if fault is None else "refused %d" % fault)
        )


def has_float(v):
    if isinstance(v, float):
        return True
    if isinstance(v, list):
        return any(has_float(x) for x in v)
    if isinstance(v, dict):
        return any(has_float(x) for x in v.values())
    return False


def jcs_vectors(folder, failures):
    """RFC 8785 reference vectors (input/NAME.json, output/NAME.json): this script's
    canonicaliser must reproduce every output whose input holds no floats."""
    names = sorted(n for n in os.listdir(os.path.join(folder, "input")) if n.endswith(".json"))
    for name in names:
        with open(os.path.join(folder, "input", name), encoding="utf-8") as f:
            value = parse_strict(f.read())
        if has_float(value):
            print("jcs %s: skipped (floats; events carry none)" % name)
            continue
        with open(os.path.join(folder, "output", name), "rb") as f:
            expected = f.read()
        if jcs(value).encode("utf-8") == expected:
            print("jcs %s: ok" % name)
        else:
            failures.append("jcs %s: canonical form differs" % name)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    events = os.path.join(here, "events.json")
    edge = os.path.join(here, "edge-cases.json")
    speccheck = None
    jcs_dir = None
    args = list(argv)
    positional = []
    while args:
        a = args.pop(0)
        if a == "--edge-cases" and args:
            edge = args.pop(0)
        elif a == "--ed25519" and args:
            speccheck = args.pop(0)
        elif a == "--jcs" and args:
            jcs_dir = args.pop(0)
        elif a.startswith("-"):
            print(__doc__)
            return 2
        else:
            positional.append(a)
    if positional:
        events = positional[0]
    if speccheck is not None:
        ed25519_cases(speccheck)
        return 0
    failures = []
    if jcs_dir is not None:
        jcs_vectors(jcs_dir, failures)
        for f in failures:
            print("FAIL " + f)
        return 1 if failures else 0
    check_events(events, failures)
    if not positional:
        # The history of format version 2 beside the version-1 one.
        check_events(os.path.join(here, "events-v2.json"), failures)
    check_edge_cases(edge, failures)
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
