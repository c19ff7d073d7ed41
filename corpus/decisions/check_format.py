#!/usr/bin/env python3
"""Validate decision-case files (JSONL) against the batch case format.

Checks every line of every `*.jsonl` file given on the command line (default: all
`*.jsonl` next to this script): field names and types of spec/case-format.md, the
extension fields documented in README.md (`deciding`, `options`), that every policy
document is a JSON object, that no JSON object repeats a key, and that case ids are
unique across all files. Unless `--no-conventions` is given it also checks the corpus
conventions: the always-present context keys exist and `aws:EpochTime` agrees with
`aws:CurrentTime`.

Prints one line per problem and the total number of cases; exits 1 if any problem was
found. Python 3.11 standard library only; it never modifies a file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

CASE_KEYS = {"id", "policies", "request", "expect", "why"}
EXTENSION_KEYS = {"deciding", "options"}
POLICY_KEYS = ("identity", "resource", "boundary", "scps", "rcps", "session")
REQUEST_REQUIRED = {"principal", "action", "resource", "context"}
REQUEST_OPTIONAL = {"resourceAccount"}
EXPECT_VALUES = {"Allow", "ImplicitDeny", "ExplicitDeny", None}
OPTION_KEYS = {"resourceKind", "principalKind", "parentUser"}
RESOURCE_KINDS = {"roleTrust", "kmsKey"}
PRINCIPAL_KINDS = {"anonymous", "service", "federated"}
WELL_KNOWN_PROVIDERS = {"accounts.google.com", "cognito-identity.amazonaws.com", "www.amazon.com", "graph.facebook.com"}
PROVIDER_RE = re.compile(r"^arn:aws:iam::[0-9]{12}:(?:oidc-provider/[^/]+(?:/[^/]+)*|saml-provider/[^/]+)$")
ALWAYS_PRESENT = (
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "aws:RequestedRegion",
    "aws:ViaAWSService",
)
SIGNED_PRINCIPAL_KEYS = ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:userid", "aws:PrincipalType")

ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
ACTION_RE = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")
PRINCIPAL_RES = (
    re.compile(r"^arn:aws:iam::[0-9]{12}:user/(?:[^/]+/)*[^/]+$"),
    re.compile(r"^arn:aws:sts::[0-9]{12}:assumed-role/[^/]+/[^/]+$"),
    re.compile(r"^arn:aws:sts::[0-9]{12}:federated-user/[^/]+$"),
    re.compile(r"^arn:aws:iam::[0-9]{12}:root$"),
    re.compile(r"^arn:aws:iam::[0-9]{12}:role/(?:[^/]+/)*[^/]+$"),
)
USER_ARN_RE = PRINCIPAL_RES[0]
FEDERATED_RE = PRINCIPAL_RES[2]


class DuplicateKey(ValueError):
    """A JSON object repeats a key."""


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """object_pairs_hook that rejects repeated keys (serde would keep the last one)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(f"duplicate key `{key}`")
        out[key] = value
    return out


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The statement objects of a policy document (empty if malformed)."""
    st = doc.get("Statement")
    if isinstance(st, dict):
        return [st]
    if isinstance(st, list):
        return [s for s in st if isinstance(s, dict)]
    return []


def all_documents(policies: dict[str, Any]) -> list[dict[str, Any]]:
    """Every policy document of a case, whatever layer it belongs to."""
    docs: list[Any] = []
    for name in ("identity", "session"):
        docs.extend(policies.get(name) or [])
    for name in ("resource", "boundary"):
        if policies.get(name) is not None:
            docs.append(policies[name])
    for name in ("scps", "rcps"):
        for level in policies.get(name) or []:
            if isinstance(level, list):
                docs.extend(level)
    return [d for d in docs if isinstance(d, dict)]


def arn_account(resource: str) -> str | None:
    """The account field of an ARN ('' when empty); None when not an ARN."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[4]


def parse_time(text: str) -> dt.datetime | None:
    """Parse an ISO 8601 date-time with `Z` or a numeric offset."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def check_doc(doc: Any, where: str, err: list[str]) -> None:
    if not isinstance(doc, dict):
        err.append(f"{where}: policy document must be a JSON object")


def check_doc_list(value: Any, where: str, err: list[str]) -> None:
    if not isinstance(value, list):
        err.append(f"{where}: must be a list of policy documents")
        return
    for i, doc in enumerate(value):
        check_doc(doc, f"{where}[{i}]", err)


def check_chain(value: Any, where: str, err: list[str]) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not value:
        err.append(f"{where}: must be null or a non-empty list of levels (root first)")
        return
    for i, level in enumerate(value):
        check_doc_list(level, f"{where}[{i}]", err)


def check_policies(pol: Any, err: list[str]) -> None:
    if not isinstance(pol, dict):
        err.append("policies: must be an object")
        return
    missing = [k for k in POLICY_KEYS if k not in pol]
    extra = sorted(set(pol) - set(POLICY_KEYS))
    if missing:
        err.append(f"policies: missing {', '.join(f'`{k}`' for k in missing)}")
    if extra:
        err.append(f"policies: unknown {', '.join(f'`{k}`' for k in extra)}")
    check_doc_list(pol.get("identity", []), "policies.identity", err)
    for name in ("resource", "boundary"):
        if pol.get(name) is not None:
            check_doc(pol[name], f"policies.{name}", err)
    check_chain(pol.get("scps"), "policies.scps", err)
    check_chain(pol.get("rcps"), "policies.rcps", err)
    if pol.get("session") is not None:
        check_doc_list(pol["session"], "policies.session", err)


def check_context(ctx: Any, err: list[str]) -> None:
    if not isinstance(ctx, dict):
        err.append("request.context: must be an object")
        return
    seen: dict[str, str] = {}
    for key, value in ctx.items():
        low = key.lower()
        if low in seen:
            err.append(f"request.context: `{key}` repeats `{seen[low]}` (keys are case-insensitive)")
        seen[low] = key
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok:
            err.append(f"request.context: value of `{key}` must be a string or a list of strings")


def check_request(req: Any, options: dict[str, Any], err: list[str]) -> None:
    if not isinstance(req, dict):
        err.append("request: must be an object")
        return
    missing = sorted(REQUEST_REQUIRED - set(req))
    extra = sorted(set(req) - REQUEST_REQUIRED - REQUEST_OPTIONAL)
    if missing:
        err.append(f"request: missing {', '.join(f'`{k}`' for k in missing)}")
    if extra:
        err.append(f"request: unknown {', '.join(f'`{k}`' for k in extra)}")
    for key in ("principal", "action", "resource"):
        if key in req and (not isinstance(req[key], str) or not req[key]):
            err.append(f"request.{key}: must be a non-empty string")
    principal = req.get("principal") if isinstance(req.get("principal"), str) else ""
    kind = options.get("principalKind")
    is_arn_principal = any(r.match(principal) for r in PRINCIPAL_RES)
    if kind is None and not is_arn_principal:
        err.append(f"request.principal: `{principal}` is not a supported principal ARN "
                   "(non-ARN principals need options.principalKind)")
    if kind == "anonymous" and principal != "anonymous":
        err.append("request.principal: must be `anonymous` when principalKind is anonymous")
    if kind == "service" and not principal.endswith(".amazonaws.com"):
        err.append("request.principal: a service principal must be a service name")
    if kind == "federated" and not (principal in WELL_KNOWN_PROVIDERS or PROVIDER_RE.match(principal)):
        err.append("request.principal: a federated caller must be an OIDC/SAML provider ARN "
                   "or a built-in provider name")
    action = req.get("action")
    if isinstance(action, str) and not ACTION_RE.match(action):
        err.append(f"request.action: `{action}` is not `service:Action`")
    racct = req.get("resourceAccount")
    if racct is not None and (not isinstance(racct, str) or not ACCOUNT_RE.match(racct)):
        err.append("request.resourceAccount: must be a 12-digit account id string")
    resource = req.get("resource")
    if isinstance(resource, str):
        acct = arn_account(resource)
        if resource != "*" and acct is None:
            err.append(f"request.resource: `{resource}` is neither `*` nor an ARN")
        if acct == "" and racct is None:
            err.append("request.resourceAccount: required when the resource ARN has no account")
        if acct and racct is not None and acct != racct:
            err.append(f"request.resourceAccount: `{racct}` differs from the ARN's `{acct}`")
        if resource == "*" and kind is not None and racct is None:
            err.append("request.resourceAccount: required for `*` when the principal has no account")
    check_context(req.get("context"), err)


def check_conventions(req: dict[str, Any], options: dict[str, Any], err: list[str]) -> None:
    ctx = req.get("context")
    if not isinstance(ctx, dict):
        return
    lower = {k.lower(): v for k, v in ctx.items()}
    for key in ALWAYS_PRESENT:
        if key.lower() not in lower:
            err.append(f"conventions: context lacks `{key}`")
    kind = options.get("principalKind")
    if kind is None:
        for key in SIGNED_PRINCIPAL_KEYS:
            if key.lower() not in lower:
                err.append(f"conventions: context lacks `{key}`")
    if kind == "anonymous" and "aws:principalarn" in lower:
        err.append("conventions: anonymous requests carry no `aws:PrincipalArn`")
    cur, epoch = lower.get("aws:currenttime"), lower.get("aws:epochtime")
    if isinstance(cur, str) and isinstance(epoch, str):
        when = parse_time(cur)
        if when is None:
            err.append(f"conventions: aws:CurrentTime `{cur}` is not an ISO date-time with zone")
        elif not epoch.isdigit() or int(when.timestamp()) != int(epoch):
            err.append(f"conventions: aws:EpochTime `{epoch}` does not match aws:CurrentTime `{cur}`")


def check_options(opts: Any, req: Any, err: list[str]) -> dict[str, Any]:
    if opts is None:
        return {}
    if not isinstance(opts, dict) or not opts:
        err.append("options: must be a non-empty object")
        return {}
    for key in sorted(set(opts) - OPTION_KEYS):
        err.append(f"options: unknown `{key}`")
    if "resourceKind" in opts and opts["resourceKind"] not in RESOURCE_KINDS:
        err.append(f"options.resourceKind: must be one of {sorted(RESOURCE_KINDS)}")
    if "principalKind" in opts and opts["principalKind"] not in PRINCIPAL_KINDS:
        err.append(f"options.principalKind: must be one of {sorted(PRINCIPAL_KINDS)}")
    if "parentUser" in opts:
        parent = opts["parentUser"]
        principal = req.get("principal") if isinstance(req, dict) else None
        if not isinstance(parent, str) or not USER_ARN_RE.match(parent):
            err.append("options.parentUser: must be an IAM user ARN")
        if not isinstance(principal, str) or not FEDERATED_RE.match(principal):
            err.append("options.parentUser: only for federated-user principals")
    if opts.get("resourceKind") == "roleTrust" and isinstance(req, dict):
        if not str(req.get("action", "")).lower().startswith("sts:assumerole"):
            err.append("options.resourceKind: roleTrust needs an sts:AssumeRole* action")
        if not str(req.get("resource", "")).startswith("arn:aws:iam::"):
            err.append("options.resourceKind: roleTrust needs a role ARN as resource")
    if opts.get("resourceKind") == "kmsKey" and isinstance(req, dict):
        if not str(req.get("resource", "")).startswith("arn:aws:kms:"):
            err.append("options.resourceKind: kmsKey needs a KMS key ARN as resource")
    return opts


def check_deciding(case: dict[str, Any], err: list[str]) -> None:
    deciding = case["deciding"]
    if not isinstance(deciding, list) or not all(isinstance(s, str) for s in deciding):
        err.append("deciding: must be a list of Sid strings")
        return
    expect = case.get("expect")
    if expect == "ImplicitDeny" and deciding:
        err.append("deciding: must be [] for ImplicitDeny")
    if expect in ("Allow", "ExplicitDeny") and not deciding:
        err.append(f"deciding: must name at least one Sid for {expect}")
    pol = case.get("policies")
    by_sid: dict[str, list[str]] = {}
    if isinstance(pol, dict):
        for doc in all_documents(pol):
            for stmt in statements(doc):
                sid = stmt.get("Sid")
                if isinstance(sid, str):
                    by_sid.setdefault(sid, []).append(str(stmt.get("Effect", "")))
    want = {"Allow": "allow", "ExplicitDeny": "deny"}.get(str(expect))
    for sid in deciding:
        effects = by_sid.get(sid, [])
        if not effects:
            err.append(f"deciding: no statement has Sid `{sid}`")
        elif len(effects) > 1:
            err.append(f"deciding: Sid `{sid}` is used by {len(effects)} statements")
        elif want is not None and effects[0].lower() != want:
            err.append(f"deciding: Sid `{sid}` is a {effects[0]} statement but expect is {expect}")


def check_case(case: Any, conventions: bool) -> list[str]:
    err: list[str] = []
    if not isinstance(case, dict):
        return ["line is not a JSON object"]
    missing = sorted(CASE_KEYS - set(case))
    extra = sorted(set(case) - CASE_KEYS - EXTENSION_KEYS)
    if missing:
        err.append(f"missing {', '.join(f'`{k}`' for k in missing)}")
    if extra:
        err.append(f"unknown field {', '.join(f'`{k}`' for k in extra)}")
    if "id" in case and (not isinstance(case["id"], str) or not case["id"]):
        err.append("id: must be a non-empty string")
    if "expect" in case and case["expect"] not in EXPECT_VALUES:
        err.append("expect: must be Allow, ImplicitDeny, ExplicitDeny or null")
    if "why" in case and (not isinstance(case["why"], str) or not case["why"].strip()):
        err.append("why: must be a non-empty string")
    options = check_options(case.get("options"), case.get("request"), err)
    if "policies" in case:
        check_policies(case["policies"], err)
    if "request" in case:
        check_request(case["request"], options, err)
        if conventions and isinstance(case["request"], dict):
            check_conventions(case["request"], options, err)
    if "deciding" in case:
        check_deciding(case, err)
    return err


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="JSONL files (default: *.jsonl here)")
    parser.add_argument("--no-conventions", action="store_true",
                        help="skip the corpus-convention checks on the request context")
    args = parser.parse_args(argv)
    files = args.files or sorted(Path(__file__).resolve().parent.glob("*.jsonl"))
    if not files:
        print("no .jsonl files to check")
        return 1
    problems = 0
    total = 0
    ids: dict[str, str] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            print(f"{path}: cannot read: {e}")
            problems += 1
            continue
        count = 0
        for lineno, line in enumerate(text.splitlines(), 1):
            where = f"{path.name}:{lineno}"
            if not line.strip():
                print(f"{where}: empty line")
                problems += 1
                continue
            try:
                case = json.loads(line, object_pairs_hook=no_duplicates)
            except (json.JSONDecodeError, DuplicateKey) as e:
                print(f"{where}: invalid JSON: {e}")
                problems += 1
                continue
            count += 1
            cid = case.get("id") if isinstance(case, dict) else None
            if isinstance(cid, str):
                where = f"{where} ({cid})"
                if cid in ids:
                    print(f"{where}: id `{cid}` already used at {ids[cid]}")
                    problems += 1
                else:
                    ids[cid] = f"{path.name}:{lineno}"
            for msg in check_case(case, not args.no_conventions):
                print(f"{where}: {msg}")
                problems += 1
        print(f"{path.name}: {count} cases")
        total += count
    print(f"total: {total} cases in {len(files)} files, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
