#!/usr/bin/env python3
"""Make up fake keys in the shapes leakscope knows, for rule examples and fixtures.

    scripts/fake-key.py SHAPE [--seed N] [--ref PROJECT_REF] [--host HOST] [--role ROLE] [--iss ISS]

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


def main():
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
