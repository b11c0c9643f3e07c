#!/usr/bin/env python3
"""Builds docs/incident-report-sample.md (and .html with pandoc): the incident report of a
made-up organisation, acme, whose three repositories share one Stripe key, with `--verify`
answered by a local mock of the providers (nothing leaves the machine).

    scripts/sample-report.py

Steps: build leakscope with the test-only `mock-endpoints` feature (into target/mock), make
three repositories with fixed dates and fake keys from scripts/fake-key.py, start a mock
provider API on 127.0.0.1, run `leakscope history REPO --verify --format json` in each, and
`leakscope merge` the three reports into Markdown.
"""

import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def fake(*args):
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts/fake-key.py"), *args, "--raw"],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


# What the mock providers answer: the Stripe and GitHub keys still work, Resend's was
# revoked, AWS rate-limits the check.
ANSWERS = {
    "api.stripe.com/v1/account": (200, '{"object":"account"}'),
    "api.github.com/user": (200, '{"login":"acme-deploy-bot","id":7}'),
    "api.resend.com/domains": (400, '{"name":"validation_error"}'),
    "sts.amazonaws.com/": (429, "<Code>Throttling</Code>"),
}


class Mock(http.server.BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        status, body = ANSWERS.get(self.path.lstrip("/"), (401, "{}"))
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = answer
    do_POST = answer

    def log_message(self, *args):
        pass


def git(repo, *args, date):
    env = dict(
        os.environ,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_AUTHOR_NAME="Dana Developer",
        GIT_AUTHOR_EMAIL="dana@acme.example",
        GIT_COMMITTER_NAME="Dana Developer",
        GIT_COMMITTER_EMAIL="dana@acme.example",
        GIT_AUTHOR_DATE=date,
        GIT_COMMITTER_DATE=date,
    )
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def commit(repo, files, message, date):
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A", date=date)
    git(repo, "commit", "-q", "-m", message, date=date)


def main():
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--features", "mock-endpoints",
         "--target-dir", str(ROOT / "target/mock")],
        check=True, cwd=ROOT,
    )
    binary = ROOT / "target/mock/release/leakscope"
    stripe = fake("stripe-sk-live", "--seed", "2024")
    stripe_pk = fake("stripe-pk-live", "--seed", "2024")
    resend = fake("resend", "--seed", "2025")
    github = fake("spec", "ghp_{A-Za-z0-9:30}{crc32b62:6}", "--seed", "2026")
    aws_id = fake("spec", "AKIA{A-Z2-7:16}", "--seed", "2027")
    aws_secret = fake("spec", "{A-Za-z0-9/+:40}", "--seed", "2027")

    work = pathlib.Path(tempfile.mkdtemp(prefix="leakscope-sample-"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Mock)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        repos = {}
        for name in ["storefront", "billing-api", "admin"]:
            repo = work / name
            repo.mkdir()
            git(repo, "init", "-q", "-b", "main", date="2025-01-06T09:00:00Z")
            git(repo, "remote", "add", "origin", f"https://git.acme.example/acme/{name}.git",
                date="2025-01-06T09:00:00Z")
            repos[name] = repo
        s = repos["storefront"]
        commit(s, {"README.md": "# storefront\n"}, "init", "2025-01-06T09:00:00Z")
        commit(s, {".env": f"STRIPE_SECRET_KEY={stripe}\nNEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY={stripe_pk}\n"},
               "local setup", "2025-02-03T10:15:00Z")
        (s / ".env").unlink()
        commit(s, {".gitignore": ".env\n"}, "stop tracking .env", "2025-02-04T08:30:00Z")
        b = repos["billing-api"]
        commit(b, {"config/settings.py": f'STRIPE_KEY = "{stripe}"\nRESEND_API_KEY = "{resend}"\n'},
               "billing settings", "2025-03-11T14:00:00Z")
        a = repos["admin"]
        commit(a, {"deploy.sh": f"export GITHUB_TOKEN={github}\n"}, "deploy script",
               "2025-04-22T16:45:00Z")
        commit(a, {"ops/stripe.yml": f"stripe:\n  secret_key: {stripe}\n",
                   ".aws/credentials": f"[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n"},
               "ops config", "2025-05-02T11:20:00Z")
        git(a, "tag", "v1.0", date="2025-05-02T11:30:00Z")

        env = dict(os.environ, LEAKSCOPE_VERIFY_ENDPOINT=f"http://127.0.0.1:{server.server_port}")
        reports = []
        for name, repo in repos.items():
            out = work / f"{name}.json"
            subprocess.run(
                [str(binary), "history", str(repo), "--verify", "--format", "json", "-o", str(out)],
                env=env, check=False,
            )
            reports.append(str(out))
        md = DOCS / "incident-report-sample.md"
        subprocess.run([str(binary), "merge", *reports, "--format", "markdown", "-o", str(md)], check=False)
        text = md.read_text()
        # The only thing that changes between runs: when the mock was asked.
        import re
        text = re.sub(r"checked \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "checked 2026-12-07T09:00:00Z", text)
        md.write_text(text)
        if shutil.which("pandoc"):
            subprocess.run(
                ["pandoc", "--standalone", "--metadata", "title=Leaked credentials: incident report (sample)",
                 str(md), "-o", str(DOCS / "incident-report-sample.html")],
                check=True,
            )
        print(f"wrote {md}")
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
