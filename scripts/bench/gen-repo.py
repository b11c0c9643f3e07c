#!/usr/bin/env python3
"""Generate a deterministic synthetic git repository for history benchmarks.

    gen-repo.py DIR [--commits 20000] [--files 3000] [--seed 1]

Builds the history with `git fast-import` (fixed names, emails and dates), then repacks it so
that file versions are stored as deltas. Files look like source code; each commit edits a few
of them (inserting, replacing and deleting lines), sometimes adds or removes one. Fake keys are
planted every ~200 commits (Stripe, Resend, Google, Supabase service_role), half of them deleted
again later; some live only on branches or tags. Same arguments, same repository (same ids).
Writes DIR/.git/leakscope-bench-manifest with counts.
"""
import argparse
import base64
import json
import os
import random
import string
import subprocess

ALNUM = string.ascii_letters + string.digits


def rnd(r, n, alphabet=ALNUM):
    return "".join(r.choice(alphabet) for _ in range(n))


def pool(r):
    words = ["user", "order", "payment", "config", "request", "cache", "item", "value", "client", "token"]
    out = []
    for _ in range(3000):
        a, b, c = r.choice(words), r.choice(words), r.choice(words)
        k = r.randrange(6)
        if k == 0:
            out.append(f"const {a}_{b} = await {c}Service.get{b.title()}({a}Id);")
        elif k == 1:
            out.append(f"    def {a}_{b}(self, {c}): return re_{c}.sub('', {a})")
        elif k == 2:
            out.append(f"  {a}_{b}: \"{rnd(r, r.randrange(8, 30))}\"")
        elif k == 3:
            out.append(f"// TODO({a}): handle {b} when {c} is missing (#{r.randrange(9999)})")
        elif k == 4:
            out.append(f"export function {a}{b.title()}({c}) {{ return {c}.map(x => x.{a}); }}")
        else:
            out.append(f"if ({a}.{b} && !{c}.ok) {{ throw new Error(\"{a} {b}\"); }}")
    return out


def jwt(r, role):
    e = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
    h = e(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = e(json.dumps({"iss": "supabase", "ref": "benchbenchbenchbench", "role": role, "iat": 1700000000, "exp": 2015576000}, separators=(",", ":")).encode())
    return f"{h}.{p}.{e(bytes(r.getrandbits(8) for _ in range(32)))}"


def key(r, i):
    kinds = [
        lambda: "STRIPE_SECRET_KEY=sk_" + "live_51" + rnd(r, 97),
        lambda: "RESEND_API_KEY=re_" + rnd(r, 8) + "_" + rnd(r, 24),
        lambda: "GOOGLE_CLIENT_SECRET=GOCSPX-" + rnd(r, 28),
        lambda: "SUPABASE_SERVICE_ROLE_KEY=" + jwt(r, "service_role"),
    ]
    return kinds[i % len(kinds)]()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    r = random.Random(a.seed)
    lines = pool(r)
    os.makedirs(a.dir, exist_ok=True)
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null", HOME="/nonexistent")
    subprocess.run(["git", "init", "-q", "-b", "main", a.dir], check=True, env=env)
    fi = subprocess.Popen(["git", "-C", a.dir, "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE, env=env)
    w = fi.stdin.write

    files = {}
    for i in range(a.files):
        path = f"src/pkg{i % 37}/mod{i % 11}/file{i}.{['js', 'py', 'ts', 'go', 'yaml'][i % 5]}"
        files[path] = r.choices(lines, k=r.choice([20, 60, 150, 400]))
    mark = 0
    planted = 0
    t0 = 1_600_000_000

    def data(text):
        b = text.encode()
        w(b"data %d\n" % len(b))
        w(b)
        w(b"\n")

    def commit(ref, msg, changes, parent_mark=None, merge_mark=None):
        nonlocal mark
        mark += 1
        ts = t0 + mark * 3600
        w(f"commit {ref}\nmark :{mark}\n".encode())
        w(f"author Bench Author <bench@example.com> {ts} +0000\n".encode())
        w(f"committer Bench Author <bench@example.com> {ts} +0000\n".encode())
        data(msg)
        if parent_mark:
            w(f"from :{parent_mark}\n".encode())
        if merge_mark:
            w(f"merge :{merge_mark}\n".encode())
        for op, path, text in changes:
            if op == "M":
                w(f"M 100644 inline {path}\n".encode())
                data(text)
            else:
                w(f"D {path}\n".encode())
        return mark

    head = commit("refs/heads/main", "initial import", [("M", p, "\n".join(v) + "\n") for p, v in sorted(files.items())])
    to_delete = []
    for n in range(1, a.commits):
        changes = []
        for _ in range(r.randrange(1, 5)):
            p = r.choice(sorted(files))
            v = files[p]
            op = r.randrange(3)
            at = r.randrange(len(v) + 1)
            if op == 0:
                v[at:at] = r.choices(lines, k=r.randrange(1, 6))
            elif op == 1 and v:
                v[min(at, len(v) - 1)] = r.choice(lines)
            elif v:
                del v[min(at, len(v) - 1)]
            changes.append(("M", p, "\n".join(v) + "\n"))
        if n % 200 == 0:
            p = f"config/env{planted}.env"
            changes.append(("M", p, f"# settings {planted}\n{key(r, planted)}\n"))
            files_planted = p
            if planted % 2 == 0:
                to_delete.append((n + 150, p))
            planted += 1
        for when, p in list(to_delete):
            if when == n:
                changes.append(("D", p, ""))
                to_delete.remove((when, p))
        head = commit("refs/heads/main", f"change {n}", changes, parent_mark=head)
        if n % 1000 == 500:
            # a branch with its own key, never merged
            b = commit(f"refs/heads/topic-{n}", f"topic {n}", [("M", f"topic/{n}.env", key(r, planted) + "\n")], parent_mark=head)
            planted += 1
        if n % 700 == 0:
            w(f"reset refs/tags/v{n // 700}.0\nfrom :{head}\n\n".encode())
    w(b"done\n")
    fi.stdin.close()
    if fi.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", a.dir, "repack", "-q", "-a", "-d", "-f", "--depth=50", "--window=10"], check=True, env=env)
    subprocess.run(["git", "-C", a.dir, "checkout", "-q", "-f", "main"], check=True, env=env)
    with open(os.path.join(a.dir, ".git", "leakscope-bench-manifest"), "w") as f:
        f.write(f"commits={mark}\nfiles={a.files}\nplanted={planted}\n")
    print(f"{mark} commits, {a.files} files, {planted} planted keys in {a.dir}")


if __name__ == "__main__":
    main()
