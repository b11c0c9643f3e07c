#!/usr/bin/env python3
"""Generate a deterministic source-like tree for working-tree benchmarks.

    gen-tree.py DIR [--size-mib 1024] [--seed 1]

Files look like code and configuration (JavaScript, Python, YAML, JSON, .env, minified bundles,
base64 blobs), with the usual near-misses of secret scanning (`re_` prefixes, JWT-looking
`eyJ` text, placeholders) and one fake key planted in about one file in 200. Same arguments,
same bytes. Writes DIR/.leakscope-bench-manifest with the file count and the planted keys'
count.
"""
import argparse
import base64
import os
import random
import string

ALNUM = string.ascii_letters + string.digits


def rnd(r, n, alphabet=ALNUM):
    return "".join(r.choice(alphabet) for _ in range(n))


def line_pool(r):
    words = ["user", "order", "payment", "config", "request", "response", "cache", "item", "value",
             "handler", "client", "server", "token", "session", "prepare", "parse", "store", "are"]
    lines = []
    for _ in range(4000):
        kind = r.randrange(12)
        a, b, c = r.choice(words), r.choice(words), r.choice(words)
        if kind == 0:
            lines.append(f"const {a}_{b} = await {c}Service.get{b.title()}({a}Id, {{ retries: {r.randrange(9)} }});")
        elif kind == 1:
            lines.append(f"    def {a}_{b}(self, {c}): return re_{c}.sub('', {a})  # pure_{b}")
        elif kind == 2:
            lines.append(f"  {a}_{b}: \"{rnd(r, r.randrange(8, 40))}\"")
        elif kind == 3:
            lines.append(f"{a.upper()}_{b.upper()}={rnd(r, r.randrange(10, 30))}")
        elif kind == 4:
            lines.append(f"    \"{a}{b.title()}\": {r.randrange(10**6)}, \"{c}\": \"{rnd(r, 12)}\",")
        elif kind == 5:
            lines.append(f"// TODO({a}): handle {b} when {c} is missing; see #{r.randrange(9999)}")
        elif kind == 6:
            lines.append(f"  if ({a}.{b} && !{c}.isValid()) {{ throw new Error(\"{a} {b} failed\"); }}")
        elif kind == 7:
            lines.append(f"export function {a}{b.title()}({c}) {{ return {c}.map(x => x.{a} ?? null); }}")
        elif kind == 8:
            lines.append(f"token = \"eyJ{rnd(r, 20)}\"  # not a JWT")
        elif kind == 9:
            lines.append(f"STRIPE_SECRET_KEY=sk_test_{'x' * 24}")
        elif kind == 10:
            lines.append(base64.b64encode(bytes(r.getrandbits(8) for _ in range(57))).decode())
        else:
            lines.append(f"import {{ {a}, {b} }} from \"./{c}/{a}\";")
    return lines


def planted(r, i):
    kinds = [
        lambda: "STRIPE_SECRET_KEY=sk_" + "live_51" + rnd(r, 97),
        lambda: "RESEND_API_KEY=re_" + rnd(r, 8) + "_" + rnd(r, 24),
        lambda: "GOOGLE_CLIENT_SECRET=GOCSPX-" + rnd(r, 28),
        lambda: "NEXT_PUBLIC_STRIPE_KEY=pk_" + "live_51" + rnd(r, 97),
    ]
    return kinds[i % len(kinds)]()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    r = random.Random(a.seed)
    pool = line_pool(r)
    target = a.size_mib << 20
    written = files = keys = 0
    exts = [".js", ".py", ".yaml", ".json", ".ts", ".env", ".md", ".go"]
    while written < target:
        d = os.path.join(a.dir, f"pkg{files % 61}", f"mod{files % 13}")
        os.makedirs(d, exist_ok=True)
        ext = exts[files % len(exts)]
        n_lines = r.choice([20, 60, 200, 800, 2000])
        lines = r.choices(pool, k=n_lines)
        if files % 200 == 7:
            lines.insert(r.randrange(len(lines)), planted(r, keys))
            keys += 1
        if files % 97 == 3:  # a minified bundle line
            lines = [";".join(lines)]
            ext = ".min.js"
        text = "\n".join(lines) + "\n"
        with open(os.path.join(d, f"f{files}{ext}"), "w") as f:
            f.write(text)
        written += len(text)
        files += 1
    with open(os.path.join(a.dir, ".leakscope-bench-manifest"), "w") as f:
        f.write(f"files={files}\nbytes={written}\nplanted={keys}\n")
    print(f"{files} files, {written / 2**20:.0f} MiB, {keys} planted keys in {a.dir}")


if __name__ == "__main__":
    main()
