#!/usr/bin/env python3
"""Make up fake keys in the shapes leakscope knows, for rule examples and fixtures.

    scripts/fake-key.py SHAPE [--seed N] [--ref PROJECT_REF] [--host HOST] [--role ROLE] [--iss ISS]
    scripts/fake-key.py spec TEMPLATE [--seed N] [--raw]
    scripts/fake-key.py pem KIND [--seed N] [--bytes N] [--raw] [--escaped] [--encrypted]
    scripts/fake-key.py jwt HEADER_JSON PAYLOAD_JSON [--seed N] [--raw]

TEMPLATE is literal text with fields in braces: `{CHARSET:N}` or `{CHARSET:N-M}` (N random
characters of CHARSET, ranges and single characters as in a regex class: `A-Za-z0-9_-`,
`0-9a-f`, `A-Za-z0-9+/`), and checksums over the random text generated so far after the
split point: `{crc32b62:N}` (base62 of the CRC32, digits 0-9A-Za-z, zero-padded to N, as
GitHub, npm and Vercel tokens end) and `{crc32hex}` (8 lowercase hex digits). The split
marker `~~` goes where the template says `~~`, or else after the leading literal text.
Example: `spec 'ghp_{A-Za-z0-9:30}{crc32b62:6}'`.

Every key printed is random text in a provider's *shape*; none was ever issued by a provider.
Keys are printed with the split marker `~~` after the literal prefix, as the repository stores
them (tests remove the marker when they copy fixtures): pass --raw to print them whole.

SHAPE: stripe-sk-live stripe-sk-live-legacy stripe-sk-test ... see SHAPES below.
"""
import argparse
import base64
import hashlib
import json
import random
import string

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"


def rnd(rng, n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def stripe(rng, prefix, current=True):
    body = "51" + rnd(rng, 97) if current else rnd(rng, 24)
    return prefix, body


def jwt(rng, iss, role, ref, pretty=False):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iss": iss, "ref": ref, "role": role, "iat": 1700000000, "exp": 2015576000}
    if ref is None:
        del claims["ref"]
    payload = json.dumps(claims, indent=2) if pretty else json.dumps(claims, separators=(",", ":"))
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "eyJ", header[3:] + "." + b64url(payload.encode()) + "." + sig


def supabase_new(rng, prefix, ref):
    random22 = rnd(rng, 22, URLSAFE)
    digest = hashlib.sha256(f"{ref}|{prefix}{random22}".encode()).digest()
    return prefix, random22 + "_" + b64url(digest)[:8]


def clerk_pk(rng, env, host, pad):
    body = base64.b64encode((host + "$").encode()).decode()
    if not pad:
        body = body.rstrip("=")
    return f"pk_{env}_", body


def svix(rng, with_symbols=True):
    while True:
        body = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(24))).decode()
        if not with_symbols or any(c in body for c in "+/"):
            return "whsec_", body


SHAPES = {
    "stripe-sk-live": lambda r, a: stripe(r, "sk_live_"),
    "stripe-sk-live-legacy": lambda r, a: stripe(r, "sk_live_", False),
    "stripe-sk-test": lambda r, a: stripe(r, "sk_test_"),
    "stripe-sk-test-legacy": lambda r, a: stripe(r, "sk_test_", False),
    "stripe-rk-live": lambda r, a: stripe(r, "rk_live_"),
    "stripe-rk-test": lambda r, a: stripe(r, "rk_test_"),
    "stripe-pk-live": lambda r, a: stripe(r, "pk_live_"),
    "stripe-pk-test": lambda r, a: stripe(r, "pk_test_"),
    "stripe-pk-test-legacy": lambda r, a: stripe(r, "pk_test_", False),
    "stripe-whsec": lambda r, a: ("whsec_", rnd(r, 32)),
    "clerk-sk-live": lambda r, a: ("sk_live_", rnd(r, 42)),
    "clerk-sk-test": lambda r, a: ("sk_test_", rnd(r, 42)),
    "clerk-pk-live": lambda r, a: clerk_pk(r, "live", a.host or "clerk.fakeshop.dev", False),
    "clerk-pk-live-padded": lambda r, a: clerk_pk(r, "live", a.host or "clerk.fakeshop.dev", True),
    "clerk-pk-test": lambda r, a: clerk_pk(r, "test", a.host or "brave-otter-17.clerk.accounts.dev", False),
    "svix-whsec": lambda r, a: svix(r),
    "svix-whsec-alnum": lambda r, a: svix(r, False),
    "highnote-sk-live": lambda r, a: ("sk_live_", base64.b64encode(b"key_" + rnd(r, 30).encode()).decode()),
    "sb-publishable": lambda r, a: supabase_new(r, "sb_publishable_", a.ref),
    "sb-secret": lambda r, a: supabase_new(r, "sb_secret_", a.ref),
    "sb-jwt": lambda r, a: jwt(r, a.iss, a.role, a.ref),
    "sb-jwt-pretty": lambda r, a: jwt(r, a.iss, a.role, a.ref, pretty=True),
    "sbp": lambda r, a: ("sbp_", rnd(r, 40, "0123456789abcdef")),
    "resend": lambda r, a: ("re_", rnd(r, 8) + "_" + rnd(r, 24)),
    "gocspx": lambda r, a: ("GOCSPX-", rnd(r, 28, URLSAFE)),
    "google-client-id": lambda r, a: (
        str(r.randrange(10**11, 10**12)) + "-",
        rnd(r, 32, string.ascii_lowercase + string.digits) + ".apps.googleusercontent.com",
    ),
}


def charset(spec):
    out = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(dict.fromkeys(out))


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n, width):
    digits = ""
    while n:
        digits = B62[n % 62] + digits
        n //= 62
    return digits.rjust(width, "0")


def expand(rng, template):
    """Expands a template into (text, split offset)."""
    import re
    import zlib
    out = ""
    split = None
    body_from = None
    pos = 0
    for m in re.finditer(r"~~|\{([^{}:]+)(?::([0-9]+)(?:-([0-9]+))?)?\}", template):
        out += template[pos:m.start()]
        pos = m.end()
        if m.group(0) == "~~":
            split = len(out)
            body_from = len(out)
            continue
        if body_from is None:
            body_from = len(out)
        name, lo, hi = m.group(1), m.group(2), m.group(3)
        if name == "crc32b62":
            out += base62(zlib.crc32(out[body_from:].encode()), int(lo))
        elif name == "crc32hex":
            out += "%08x" % zlib.crc32(out[body_from:].encode())
        else:
            n = int(lo) if hi is None else rng.randint(int(lo), int(hi))
            out += rnd(rng, n, charset(name))
    out += template[pos:]
    if split is None:
        split = body_from if body_from is not None else len(out)
    return out, split


def pem(rng, kind, nbytes, encrypted):
    label = {
        "rsa": "RSA PRIVATE KEY",
        "ec": "EC PRIVATE KEY",
        "dsa": "DSA PRIVATE KEY",
        "pkcs8": "PRIVATE KEY",
        "pkcs8-encrypted": "ENCRYPTED PRIVATE KEY",
        "openssh": "OPENSSH PRIVATE KEY",
        "pgp": "PGP PRIVATE KEY BLOCK",
    }[kind]
    raw = bytes(rng.getrandbits(8) for _ in range(nbytes))
    if kind == "openssh":
        cipher = b"aes256-ctr" if encrypted else b"none"
        raw = b"openssh-key-v1\0" + len(cipher).to_bytes(4, "big") + cipher + raw
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    head = []
    if encrypted and kind in ("rsa", "ec", "dsa"):
        head = ["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC," + rnd(rng, 32, "0123456789ABCDEF"), ""]
    begin = "-----BEGIN " + label + "-----"
    return begin, "\n".join(head + lines) + "\n-----END " + label + "-----"


def main():
    import sys
    if len(sys.argv) > 1 and sys.argv[1] in ("spec", "pem", "jwt"):
        q = argparse.ArgumentParser()
        q.add_argument("mode")
        q.add_argument("args", nargs="+")
        q.add_argument("--seed", type=int, default=1)
        q.add_argument("--raw", action="store_true")
        q.add_argument("--bytes", type=int, default=160)
        q.add_argument("--escaped", action="store_true", help="pem: newlines as \\n (JSON strings)")
        q.add_argument("--encrypted", action="store_true")
        a = q.parse_args()
        rng = random.Random(a.seed)
        if a.mode == "spec":
            text, split = expand(rng, a.args[0])
            prefix, body = text[:split], text[split:]
        elif a.mode == "pem":
            prefix, body = pem(rng, a.args[0], a.bytes, a.encrypted)
            body = "\n" + body
            if a.escaped:
                body = body.replace("\n", "\\n")
        else:
            header = b64url(a.args[0].encode())
            payload = b64url(a.args[1].encode())
            sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
            prefix, body = header[:3], header[3:] + "." + payload + "." + sig
        print(prefix + ("" if a.raw else "~~") + body)
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("shape", choices=sorted(SHAPES))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--ref", default="qwertyuiopasdfghjklz", help="Supabase project ref (20 lowercase letters)")
    p.add_argument("--host", help="Clerk frontend API host")
    p.add_argument("--role", default="anon")
    p.add_argument("--iss", default="supabase")
    p.add_argument("--raw", action="store_true", help="print without the ~~ split marker")
    a = p.parse_args()
    prefix, body = SHAPES[a.shape](random.Random(a.seed), a)
    print(prefix + ("" if a.raw else "~~") + body)


if __name__ == "__main__":
    main()
