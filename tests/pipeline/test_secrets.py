"""The R2 remote: settings in the tracked config, credentials never in a tracked file."""

from __future__ import annotations

import re
import secrets
import string
from pathlib import Path

from kdgat.workspace.dvc import read_config

from .workspace import REPO, make_workspace, run

# What leaked credentials look like: AWS-style key ids, 40-char AWS and 64-hex R2 secrets
# next to a key name, private keys.
SECRET_PATTERNS = [
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(
        r"(?i)secret[_-]?(?:access[_-]?)?key\s*[=:]\s*[\"']?(?:[A-Za-z0-9/+=]{40}|[0-9a-f]{64})\b"
    ),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
]


def committable(root: Path) -> list[Path]:
    """Every file `git add -A` would commit: tracked, or untracked and not ignored."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], root)
    return [root / name for name in listed.stdout.splitlines() if (root / name).is_file()]


def leaks(root: Path, *literals: str) -> list[str]:
    """``file: what`` for each committable file holding a secret-like string or a literal."""
    found = []
    for path in committable(root):
        text = path.read_bytes().decode("utf-8", errors="ignore")
        hits = [p.pattern for p in SECRET_PATTERNS if p.search(text)]
        hits += ["the test's own secret" for literal in literals if literal in text]
        found += [f"{path.relative_to(root)}: {hit}" for hit in hits]
    return found


def test_r2_remote_keeps_credentials_out_of_tracked_files(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "repo")
    account = secrets.token_hex(16)  # 32 hex digits, like a Cloudflare account id
    key_id = "AKIA" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(16))
    secret = secrets.token_hex(32)  # an R2 secret is 64 hex digits
    r2 = ["kdgat", "remote", "r2", "--account-id", account, "--bucket", "kdgat-data"]
    keys = ["--access-key-id", key_id, "--secret-access-key", secret]

    refused = run([*r2, *keys], root, check=False)  # keys without --local
    assert refused.returncode == 1
    assert "--local" in refused.stderr
    run([*r2, "--default"], root)  # the shared settings: tracked, no secret
    # This clone's keys; the secret from the environment, never on the command line (`ps`).
    run([*r2, "--local", *keys[:2]], root, extra_env={"KDGAT_SECRET_ACCESS_KEY": secret})
    assert (root / ".dvc" / "config.local").stat().st_mode & 0o777 == 0o600

    tracked = read_config(root, "repo")
    assert tracked["remote"]["r2"] == {
        "url": "s3://kdgat-data/dvc",
        "endpointurl": f"https://{account}.r2.cloudflarestorage.com",
        "region": "auto",
    }
    assert tracked["core"]["remote"] == "r2"
    assert read_config(root, "local")["remote"]["r2"]["secret_access_key"] == secret
    assert (
        run(["git", "check-ignore", "-q", ".dvc/config.local"], root, check=False).returncode == 0
    )
    run(["dvc", "data", "status"], root)  # DVC reads config.local against the old HEAD too
    assert leaks(root, key_id, secret) == []


def test_no_file_of_the_project_holds_a_secret() -> None:
    assert leaks(REPO) == []
