#!/usr/bin/env python3
"""Independent checker for custodia's C2SP note vectors (docs/vectors/note.json).

Written from the C2SP specification texts alone (c2sp.org/signed-note, tlog-checkpoint,
tlog-cosignature), not from the Rust code that generated the file. It recomputes every key ID,
verifier key string, checkpoint text and cosignature message, parses both notes, verifies the
log's Ed25519 signature and the witness's cosignature/v1, and re-signs with the seeds (Ed25519 is
deterministic, so the signatures must come out identical). Exits 1 on any mismatch.

Needs the `cryptography` package (pip install cryptography).

Usage: python3 docs/vectors/check_note.py [docs/vectors/note.json]
"""

import base64
import binascii
import hashlib
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

TYPE_ED25519 = 0x01  # signed-note, "Signature types"
TYPE_COSIGNATURE_V1 = 0x04  # tlog-cosignature, Ed25519 cosignatures
EM_DASH_SPACE = "\u2014 "

failures = []


def check(ok, what):
    if ok:
        print("ok    " + what)
    else:
        print("FAIL  " + what)
        failures.append(what)


def b64decode_strict(s):
    """RFC 4648 section 4 standard base64, padded, canonical (re-encodes to the same text)."""
    raw = base64.b64decode(s.encode("ascii"), validate=True)
    if base64.b64encode(raw).decode("ascii") != s:
        raise ValueError("non-canonical base64: %r" % s)
    return raw


def key_id(name, sig_type, public_key):
    # key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def valid_key_name(name):
    # Non-empty, no Unicode spaces, no plus.
    return name != "" and "+" not in name and not any(c.isspace() for c in name)


def parse_note(note):
    """Splits a signed note into (text, [(name, key_id bytes, signature bytes)])."""
    data = note.encode("utf-8")
    data.decode("utf-8")  # must be valid UTF-8
    for i, b in enumerate(data):
        if b < 0x20 and b != 0x0A:
            raise ValueError("control character at byte %d" % i)
    split = note.rfind("\n\n")
    if split < 0:
        raise ValueError("no blank line")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise ValueError("no signatures or no final newline")
    sigs = []
    for line in block[:-1].split("\n"):
        if not line.startswith(EM_DASH_SPACE):
            raise ValueError("not a signature line: %r" % line)
        fields = line[len(EM_DASH_SPACE) :].split(" ")
        if len(fields) != 2 or not valid_key_name(fields[0]):
            raise ValueError("bad signature line: %r" % line)
        raw = b64decode_strict(fields[1])
        if len(raw) < 5:
            raise ValueError("signature too short: %r" % line)
        sigs.append((fields[0], raw[:4], raw[4:]))
    return text, sigs


def parse_checkpoint(text):
    if not text.endswith("\n"):
        raise ValueError("checkpoint text does not end in newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise ValueError("fewer than three lines")
    origin, size, root = lines[0], lines[1], lines[2]
    if origin == "":
        raise ValueError("empty origin")
    if not size.isascii() or not size.isdigit() or (len(size) > 1 and size[0] == "0"):
        raise ValueError("bad tree size %r" % size)
    if any(ext == "" for ext in lines[3:]):
        raise ValueError("empty extension line")
    return origin, int(size), b64decode_strict(root), lines[3:]


def ed25519_verify(public_key, signature, message):
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except InvalidSignature:
        return False


def check_key(label, k):
    seed = binascii.unhexlify(k["seed_hex"])
    priv = Ed25519PrivateKey.from_private_bytes(seed)
    pub = priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    check(pub.hex() == k["public_key_hex"], label + ": public key derives from the seed")
    kid = key_id(k["name"], k["signature_type"], pub)
    check(kid.hex() == k["key_id"], label + ": key ID = SHA-256(name || 0x0A || type || key)[:4]")
    vkey = "%s+%s+%s" % (
        k["name"],
        kid.hex(),
        base64.b64encode(bytes([k["signature_type"]]) + pub).decode("ascii"),
    )
    check(vkey == k["verifier_key"], label + ": verifier key string")
    # And the other way: parse the vkey string.
    name, hex_id, b64 = k["verifier_key"].split("+", 2)
    typed = b64decode_strict(b64)
    check(
        name == k["name"]
        and typed[0] == k["signature_type"]
        and typed[1:] == pub
        and key_id(name, typed[0], typed[1:]).hex() == hex_id,
        label + ": verifier key string parses back to name, type and key",
    )
    return priv, pub, kid


def check_reference_vector():
    """The checker checks itself first against Go's sumdb/note example, so a checker bug cannot
    pass our vectors: same key ID rule, same signing."""
    vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    signed = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
        "\n"
        "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )
    name, hex_id, b64 = vkey.split("+", 2)
    typed = b64decode_strict(b64)
    check(key_id(name, typed[0], typed[1:]).hex() == hex_id, "reference (Go): PeterNeumann key ID")
    seed = b64decode_strict(skey.split("+", 4)[4])[1:]
    text, sigs = parse_note(signed)
    sig = Ed25519PrivateKey.from_private_bytes(seed).sign(text.encode("utf-8"))
    check(sigs == [(name, bytes.fromhex(hex_id), sig)], "reference (Go): PeterNeumann signed note")


def main():
    check_reference_vector()
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "note.json")
    with open(path, encoding="utf-8") as f:
        v = json.load(f)

    log_priv, log_pub, log_id = check_key("log", v["log"])
    check(v["log"]["signature_type"] == TYPE_ED25519, "log: signature type 0x01")
    wit_priv, wit_pub, wit_id = check_key("witness", v["witness"])
    check(v["witness"]["signature_type"] == TYPE_COSIGNATURE_V1, "witness: signature type 0x04")

    cp = v["checkpoint"]
    root = binascii.unhexlify(cp["root_hex"])
    text = "%s\n%d\n%s\n" % (cp["origin"], cp["size"], base64.b64encode(root).decode("ascii"))
    check(text == cp["text"], "checkpoint: text is origin, decimal size, base64 root, each with newline")
    check(parse_checkpoint(cp["text"]) == (cp["origin"], cp["size"], root, []), "checkpoint: text parses back")

    # The log-signed checkpoint note.
    note_text, sigs = parse_note(v["checkpoint_note"])
    check(note_text == cp["text"], "checkpoint note: text is the checkpoint")
    check(len(sigs) == 1, "checkpoint note: one signature")
    name, kid, sig = sigs[0]
    check(name == v["log"]["name"] and kid == log_id, "checkpoint note: signed by the log key (name and key ID)")
    check(ed25519_verify(log_pub, sig, note_text.encode("utf-8")), "checkpoint note: Ed25519 signature verifies")
    check(log_priv.sign(note_text.encode("utf-8")) == sig, "checkpoint note: re-signing gives the same signature")

    # The cosignature.
    cs = v["cosignature"]
    ts = cs["timestamp"]
    check(0 <= ts <= 2**63 - 1, "cosignature: timestamp within 0..2^63-1")
    message = ("cosignature/v1\ntime %d\n" % ts).encode("ascii") + cp["text"].encode("utf-8")
    check(message == cs["message"].encode("utf-8"), "cosignature: message is header, time line, checkpoint")
    line = cs["signature_line"]
    check(line.startswith(EM_DASH_SPACE) and line.endswith("\n"), "cosignature: line form")
    name, b64 = line[len(EM_DASH_SPACE) : -1].split(" ")
    raw = b64decode_strict(b64)
    check(name == v["witness"]["name"], "cosignature: key name")
    check(len(raw) == 4 + 8 + 64, "cosignature: key ID || timestamp || Ed25519 signature is 76 bytes")
    check(raw[:4] == wit_id, "cosignature: key ID")
    check(int.from_bytes(raw[4:12], "big") == ts, "cosignature: timestamp, 8 bytes big-endian")
    check(ed25519_verify(wit_pub, raw[12:], message), "cosignature: Ed25519 signature over the message verifies")
    check(wit_priv.sign(message) == raw[12:], "cosignature: re-signing gives the same signature")
    bad = ("cosignature/v1\ntime %d\n" % (ts + 1)).encode("ascii") + cp["text"].encode("utf-8")
    check(not ed25519_verify(wit_pub, raw[12:], bad), "cosignature: fails for another timestamp")

    # The cosigned note: the log's note with the witness line after it.
    check(v["cosigned_note"] == v["checkpoint_note"] + line, "cosigned note: checkpoint note then the cosignature line")
    note_text, sigs = parse_note(v["cosigned_note"])
    check(note_text == cp["text"] and len(sigs) == 2, "cosigned note: text and two signatures")
    check(
        sigs[1] == (v["witness"]["name"], wit_id, raw[4:]),
        "cosigned note: second signature is the cosignature",
    )

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
