#!/usr/bin/env python3
"""A stand-in for the GitHub CLI's `gh api`, serving one repository from a JSON state file (env FAKE_GH_STATE).

The state models what .github/scripts/*.sh read and change: the repository (visibility, plan), users, teams,
deployment environments with their branch policies, and issue comments. Every call is appended to state["calls"].
Like gh, it prints the response body on stdout, pages of a list one after another with --paginate, and on an HTTP
error prints the error body, "gh: <message> (HTTP <status>)" on stderr and exits 1.

What GitHub documents is modelled (https://docs.github.com/en/rest/deployments/environments and .../branch-policies):
a deployment_branch_policy with exactly one of protected_branches / custom_branch_policies true, up to six reviewers
that must exist, branch policies only while custom_branch_policies is true, environments in a private repository only
on Pro/Team/Enterprise, and required reviewers in a private repository only on Enterprise. The wording of GitHub's
422 messages is made up here; scripts must not depend on it.

State keys: repository ("owner/name"), private (bool), plan ("free"|"pro"|"team"|"enterprise"), users {login: id},
teams {"org/slug": id}, environments {name: {deployment_branch_policy, reviewers [{type, id}], prevent_self_review,
wait_timer}}, branch_policies {environment: [{id, name, type}]}, comments {issue number: [{id, body, user}]},
page_size (optional: forces small pages), next_id, calls.
"""

from __future__ import annotations

import json
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)

# Each `gh` call starts this file anew: imports are kept to what every call needs (subprocess only for --jq).
if TYPE_CHECKING:
    from typing import Any

    Json = Any
    State = dict[str, Any]


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found() -> HttpError:
    return HttpError(404, "Not Found")


def typed(value: str) -> Json:
    """-F/--field's magic: true, false, null and integers become JSON values."""
    if value in ("true", "false", "null"):
        return json.loads(value)
    try:
        return int(value)
    except ValueError:
        return value


def unquote(text: str) -> str:
    """Percent-decoding of one URL path segment or query value (urllib.parse costs each call an import)."""
    if "%" not in text:
        return text
    raw = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "%" and len(text[i + 1 : i + 3]) == 2:
            raw += bytes.fromhex(text[i + 1 : i + 3])
            i += 3
        else:
            raw += text[i].encode()
            i += 1
    return raw.decode()


def parse_args(argv: list[str]) -> dict[str, Any]:
    if not argv or argv[0] != "api":
        raise SystemExit(f"fake gh: only `gh api` is modelled, got {argv!r}")
    options: dict[str, Any] = {"method": None, "fields": {}, "input": None, "paginate": False, "jq": None}
    positional: list[str] = []
    args = list(argv[1:])
    while args:
        arg = args.pop(0)
        if arg.startswith("--") and "=" in arg:
            name, _, value = arg.partition("=")
        elif arg.startswith("-X") and len(arg) > 2:
            name, value = "-X", arg[2:]
        else:
            name = arg
            takes_value = name in ("-X", "--method", "-f", "--raw-field", "-F", "--field", "--input", "-q", "--jq")
            value = args.pop(0) if takes_value or name in ("-H", "--header") else ""
        if name in ("-X", "--method"):
            options["method"] = value.upper()
        elif name in ("-f", "--raw-field"):
            key, _, raw = value.partition("=")
            options["fields"][key] = raw
        elif name in ("-F", "--field"):
            key, _, raw = value.partition("=")
            options["fields"][key] = typed(raw)
        elif name == "--input":
            options["input"] = value
        elif name == "--paginate":
            options["paginate"] = True
        elif name in ("-q", "--jq"):
            options["jq"] = value
        elif name in ("-H", "--header"):
            pass
        elif name.startswith("-"):
            raise SystemExit(f"fake gh: option {arg} is not modelled")
        else:
            positional.append(arg)
    if len(positional) != 1:
        raise SystemExit(f"fake gh: expected one endpoint, got {positional!r}")
    endpoint, _, query = positional[0].lstrip("/").partition("?")
    options["endpoint"] = endpoint
    options["path"] = [unquote(part) for part in endpoint.split("/")]
    options["query"] = {
        unquote(k): unquote(v) for k, _, v in (pair.partition("=") for pair in query.split("&") if pair)
    }
    body: Json = None
    if options["input"] is not None:
        if options["input"] == "-":
            text = sys.stdin.read()
        else:
            with open(options["input"]) as f:
                text = f.read()
        body = json.loads(text)
    elif options["fields"]:
        body = options["fields"]
    options["body"] = body
    if options["method"] is None:
        options["method"] = "POST" if body is not None else "GET"
    return options


def next_id(state: State) -> int:
    state["next_id"] = state.get("next_id", 1000) + 1
    return int(state["next_id"])


def environment_view(state: State, name: str) -> Json:
    """An environment as GET /repos/{owner}/{repo}/environments/{name} shows it."""
    env = state["environments"][name]
    rules: list[Json] = []
    if env.get("wait_timer"):
        rules.append({"id": 1, "type": "wait_timer", "wait_timer": env["wait_timer"]})
    if env.get("reviewers"):
        reviewers = []
        for reviewer in env["reviewers"]:
            if reviewer["type"] == "User":
                login = next(k for k, v in state["users"].items() if v == reviewer["id"])
                detail: Json = {"login": login, "id": reviewer["id"], "type": "User"}
            else:
                org_slug = next(k for k, v in state["teams"].items() if v == reviewer["id"])
                detail = {"slug": org_slug.split("/", 1)[1], "id": reviewer["id"]}
            reviewers.append({"type": reviewer["type"], "reviewer": detail})
        rules.append(
            {
                "id": 2,
                "type": "required_reviewers",
                "prevent_self_review": bool(env.get("prevent_self_review", False)),
                "reviewers": reviewers,
            }
        )
    if env.get("deployment_branch_policy"):
        rules.append({"id": 3, "type": "branch_policy"})
    return {
        "id": 7,
        "name": name,
        "can_admins_bypass": True,
        "protection_rules": rules,
        "deployment_branch_policy": env.get("deployment_branch_policy"),
    }


def put_environment(state: State, name: str, body: Json) -> Json:
    body = body or {}
    if state.get("private") and state.get("plan", "free") == "free":
        raise HttpError(422, "Environments in private repositories need GitHub Pro, Team or Enterprise")
    reviewers = body.get("reviewers")
    if reviewers and state.get("private") and state.get("plan", "free") != "enterprise":
        raise HttpError(422, "Failed to create the required reviewers protection rule: not available on this plan")
    if reviewers:
        if len(reviewers) > 6:
            raise HttpError(422, "At most six reviewers")
        for reviewer in reviewers:
            known = state["users"] if reviewer.get("type") == "User" else state["teams"]
            if reviewer.get("type") not in ("User", "Team") or reviewer.get("id") not in known.values():
                raise HttpError(422, f"Unknown reviewer {reviewer!r}")
    policy = body.get("deployment_branch_policy")
    if policy is not None:
        flags = (policy.get("protected_branches"), policy.get("custom_branch_policies"))
        if flags not in ((True, False), (False, True)):
            raise HttpError(422, "Exactly one of protected_branches and custom_branch_policies must be true")
    env = state["environments"].setdefault(name, {"deployment_branch_policy": None})
    for key in ("deployment_branch_policy", "reviewers", "prevent_self_review", "wait_timer"):
        if key in body:
            env[key] = body[key]
    if not (env.get("deployment_branch_policy") or {}).get("custom_branch_policies"):
        state["branch_policies"].pop(name, None)
    return environment_view(state, name)


def branch_policies(state: State, method: str, name: str, rest: list[str], body: Json) -> Json:
    if name not in state["environments"]:
        raise not_found()
    policies = state["branch_policies"].setdefault(name, [])
    if not rest and method == "GET":
        return {"total_count": len(policies), "branch_policies": policies}
    if not rest and method == "POST":
        if not (state["environments"][name].get("deployment_branch_policy") or {}).get("custom_branch_policies"):
            raise not_found()
        if not isinstance(body, dict) or not body.get("name") or body.get("type", "branch") not in ("branch", "tag"):
            raise HttpError(422, "Invalid branch policy")
        policy = {"id": next_id(state), "name": body["name"], "type": body.get("type", "branch")}
        policies.append(policy)
        return policy
    if len(rest) == 1 and method == "DELETE":
        kept = [p for p in policies if str(p["id"]) != rest[0]]
        if len(kept) == len(policies):
            raise not_found()
        state["branch_policies"][name] = kept
        return None
    raise not_found()


def route(state: State, method: str, path: list[str], body: Json) -> Json:
    if path[:1] == ["users"] and len(path) == 2 and method == "GET":
        if path[1] not in state["users"]:
            raise not_found()
        return {"login": path[1], "id": state["users"][path[1]], "type": "User"}
    if path[:1] == ["orgs"] and len(path) == 4 and path[2] == "teams" and method == "GET":
        key = f"{path[1]}/{path[3]}"
        if key not in state["teams"]:
            raise not_found()
        return {"id": state["teams"][key], "slug": path[3], "organization": {"login": path[1]}}
    if path[:1] != ["repos"] or "/".join(path[1:3]) != state["repository"]:
        raise not_found()
    rest = path[3:]
    if rest[:1] == ["environments"] and len(rest) >= 2:
        name = rest[1]
        if len(rest) == 2 and method == "GET":
            if name not in state["environments"]:
                raise not_found()
            return environment_view(state, name)
        if len(rest) == 2 and method == "PUT":
            return put_environment(state, name, body)
        if rest[2:3] == ["deployment-branch-policies"]:
            return branch_policies(state, method, name, rest[3:], body)
    if rest[:1] == ["issues"] and len(rest) == 3 and rest[2] == "comments":
        if rest[1] not in state["comments"]:
            raise not_found()
        if method == "GET":
            return state["comments"][rest[1]]
        if method == "POST" and isinstance(body, dict) and isinstance(body.get("body"), str):
            comment = {"id": next_id(state), "body": body["body"], "user": {"login": "github-actions[bot]"}}
            state["comments"][rest[1]].append(comment)
            return comment
    if rest[:2] == ["issues", "comments"] and len(rest) == 3 and method == "PATCH":
        for comments in state["comments"].values():
            for comment in comments:
                if str(comment["id"]) == rest[2]:
                    if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                        raise HttpError(422, "body is required")
                    comment["body"] = body["body"]
                    return comment
    raise not_found()


def pages(result: Json, query: dict[str, str], state: State, paginate: bool) -> list[Json]:
    """A list response split the way GitHub pages it: the first page only, or every page with --paginate."""
    size = int(state.get("page_size") or query.get("per_page") or 30)
    if isinstance(result, list):
        chunks: list[Json] = [result[i : i + size] for i in range(0, len(result), size)] or [[]]
    elif isinstance(result, dict) and "branch_policies" in result:
        items = result["branch_policies"]
        chunks = [
            {"total_count": result["total_count"], "branch_policies": items[i : i + size]}
            for i in range(0, len(items), size)
        ] or [result]
    else:
        return [result]
    return chunks if paginate else chunks[:1]


def main() -> int:
    options = parse_args(sys.argv[1:])
    state_file = os.environ["FAKE_GH_STATE"]
    with open(state_file) as f:
        state: State = json.load(f)
    for key in ("users", "teams", "environments", "branch_policies", "comments"):
        state.setdefault(key, {})
    state.setdefault("calls", []).append(
        {
            "method": options["method"],
            "path": options["endpoint"],
            "query": options["query"],
            "body": options["body"],
            "paginate": options["paginate"],
        }
    )
    try:
        result = route(state, options["method"], options["path"], options["body"])
        status = 0
    except HttpError as error:
        result, status = error, error.status
    with open(state_file, "w") as f:
        json.dump(state, f, indent=1)
    if isinstance(result, HttpError):
        print(json.dumps({"message": result.message, "status": str(result.status)}))
        print(f"gh: {result.message} (HTTP {result.status})", file=sys.stderr)
        return 1
    if result is None:  # 204 No Content
        return status
    for page in pages(result, options["query"], state, options["paginate"]):
        text = json.dumps(page)
        if options["jq"] is not None:
            import shutil
            import subprocess

            jq = shutil.which("jq")
            if jq is None:
                raise SystemExit("fake gh: --jq needs the jq binary")
            text = subprocess.run(
                [jq, "-r", options["jq"]], input=text, capture_output=True, text=True, check=True
            ).stdout
        # Like gh, pages follow one another with no separator.
        sys.stdout.write(text)
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
