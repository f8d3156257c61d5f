"""Bootstrap settings: read and validated before any resource is registered."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi

NAMESPACE = "library-infra-bootstrap"
# A repository as GitHub's OIDC tokens name it in `sub`: `owner/name`, or, for repositories created, renamed or
# transferred since mid-2026 and those that opted in, the immutable form `owner@<owner id>/name@<repository id>`
# (GitHub, OpenID Connect reference, "Immutable subject claims"). Owner: up to 39 letters, digits and hyphens;
# repository name: up to 100 letters, digits, '.', '_' and '-'.
REPOSITORY = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
IMMUTABLE_REPOSITORY = re.compile(r"^[A-Za-z0-9-]{1,39}@[1-9][0-9]*/[A-Za-z0-9._-]{1,100}@[1-9][0-9]*$")
# Git ref and environment names become part of an exact `sub` claim; wildcards would widen the trust.
NAME = re.compile(r"^[A-Za-z0-9._/-]+$")
# A stack name as it appears in its key's alias: alias/library-infra-<stack> (KMS allows [a-zA-Z0-9/_-]).
STACK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BootstrapConfigError(ValueError):
    pass


@dataclass(frozen=True)
class BootstrapSettings:
    github_repository: str
    deploy_branch: str = "main"
    dev_environment: str = "dev"
    prod_environment: str = "prod"
    stacks: tuple[str, ...] = ("dev", "prod")
    app_name: str = "library"
    parameter_prefix: str = "/library/"
    repository_name: str = "library-management-system"
    adopt_oidc_provider: bool = False
    create_state_bucket: bool = True

    def __post_init__(self) -> None:
        problems = []
        if not (REPOSITORY.match(self.github_repository) or IMMUTABLE_REPOSITORY.match(self.github_repository)):
            problems.append(
                f"githubRepository={self.github_repository!r} must be owner/name (e.g. my-org/library-infra) or, "
                "for a repository whose OIDC tokens carry immutable ids, owner@<owner id>/name@<repository id> "
                "(e.g. my-org@123456/library-infra@456789): copy the form from the repository's OIDC settings"
            )
        for key, value in (
            ("deployBranch", self.deploy_branch),
            ("devEnvironment", self.dev_environment),
            ("prodEnvironment", self.prod_environment),
        ):
            if not NAME.match(value) or "*" in value:
                problems.append(f"{key}={value!r} must be a plain name (letters, digits, . _ / -), no wildcards")
        if not re.match(r"^[a-z][a-z0-9-]{0,19}$", self.app_name):
            problems.append(f"appName={self.app_name!r} must match the library-infra stacks' appName")
        if not re.match(r"^(/[A-Za-z0-9_.-]+)+/$", self.parameter_prefix):
            problems.append(f"parameterPrefix={self.parameter_prefix!r} must start and end with '/', e.g. /library/")
        if self.dev_environment == self.prod_environment:
            problems.append("devEnvironment and prodEnvironment must differ: only prod's jobs wait for a reviewer")
        for stack in self.stacks:
            if not STACK.match(stack):
                problems.append(
                    f"stacks: {stack!r} must be a stack name of letters, digits, '-' and '_' (it names its KMS alias)"
                )
        if problems:
            raise BootstrapConfigError("invalid bootstrap configuration:\n  - " + "\n  - ".join(problems))


def load() -> BootstrapSettings:
    config = pulumi.Config(NAMESPACE)
    defaults = BootstrapSettings(github_repository="placeholder/placeholder")
    return BootstrapSettings(
        github_repository=config.require("githubRepository"),
        deploy_branch=config.get("deployBranch") or defaults.deploy_branch,
        dev_environment=config.get("devEnvironment") or defaults.dev_environment,
        prod_environment=config.get("prodEnvironment") or defaults.prod_environment,
        stacks=tuple(config.get_object("stacks") or defaults.stacks),
        app_name=config.get("appName") or defaults.app_name,
        parameter_prefix=config.get("parameterPrefix") or defaults.parameter_prefix,
        repository_name=config.get("repositoryName") or defaults.repository_name,
        adopt_oidc_provider=bool(config.get_bool("adoptOidcProvider")),
        create_state_bucket=config.get_bool("createStateBucket") is not False,
    )
