#!/usr/bin/env python3
"""Checks a cosigned C2SP checkpoint with nothing but the C2SP texts and `cryptography`.

Usage: python3 docs/vectors/check_cosigned.py CHECKPOINT_FILE LOG_VKEY [WITNESS_VKEY ...] --min N

The checkpoint must carry a valid Ed25519 signature by the log key (type 0x01) over its text,
and at least N valid cosignature/v1 signatures (type 0x04, tlog-cosignature) by the witness
keys: each over "cosignature/v1\\ntime <T>\\n" followed by the checkpoint text, with the 8-byte
big-endian timestamp T before the 64-byte signature. Signatures by unknown keys are ignored, as
the spec says; a known key whose signature fails makes the note invalid. Prints what it
checked; exits 1 on any failure. Shares its parsing helpers with check_note.py (same
directory, written from the same texts).
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_note import b64decode_strict, ed25519_verify, key_id, parse_checkpoint, parse_note  # noqa: E402


def parse_vkey(vkey):
    name, hex_id, b64 = vkey.split("+", 2)
    typed = b64decode_strict(b64)
    kind, pub = typed[0], typed[1:]
    if len(pub) != 32 or key_id(name, kind, pub).hex() != hex_id.lower():
        raise ValueError("bad verifier key %r" % vkey)
    return name, bytes.fromhex(hex_id), kind, pub


def main(argv):
    if "--min" not in argv:
        print(__doc__)
        return 2
    i = argv.index("--min")
    minimum = int(argv[i + 1])
    args = argv[:i] + argv[i + 2 :]
    path, log_vkey, witness_vkeys = args[0], args[1], args[2:]
    note = open(path, encoding="utf-8").read()
    text, sigs = parse_note(note)
    origin, size, root, _ = parse_checkpoint(text)
    log = parse_vkey(log_vkey)
    witnesses = [parse_vkey(v) for v in witness_vkeys]
    log_ok = False
    cosigned = []
    for name, kid, sig in sigs:
        if (name, kid) == (log[0], log[1]) and log[2] == 0x01:
            if len(sig) != 64 or not ed25519_verify(log[3], sig, text.encode("utf-8")):
                print("FAIL  the log signature does not verify")
                return 1
            log_ok = True
            continue
        for wname, wkid, wkind, wpub in witnesses:
            if (name, kid) == (wname, wkid) and wkind == 0x04:
                if len(sig) != 72:
                    print("FAIL  cosignature by %s is not 72 bytes" % name)
                    return 1
                (timestamp,) = struct.unpack(">Q", sig[:8])
                message = ("cosignature/v1\ntime %d\n" % timestamp).encode("ascii") + text.encode("utf-8")
                if not ed25519_verify(wpub, sig[8:], message):
                    print("FAIL  cosignature by %s does not verify" % name)
                    return 1
                cosigned.append((name, timestamp))
    print("checkpoint of %s at size %d, root %s" % (origin, size, root.hex()))
    if not log_ok:
        print("FAIL  no valid signature by the log key")
        return 1
    print("ok    log signature by %s" % log[0])
    for name, t in cosigned:
        print("ok    cosignature by %s at %d" % (name, t))
    if len(cosigned) < minimum:
        print("FAIL  %d cosignatures, %d required" % (len(cosigned), minimum))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
