#!/usr/bin/env bash
# Fails (exit 1, with a GitHub Actions error annotation) unless environment <environment> of <owner/repo> exists and
# admits deployments only from <deploy-branch>: its deployment branch policy is either "protected branches" or custom
# rules that all name exactly <deploy-branch>. With --reviewers it must also have required reviewers.
#
# The deploy jobs run this first, before any AWS credential is requested, so a missing or loosened gate fails closed.
# A job that names a missing environment makes GitHub create it, with no rules at all: that fails here too.
#
# usage: require-protected-environment.sh <owner/repo> <environment> <deploy-branch> [--reviewers]
# env:   GH_TOKEN (in a workflow, github.token with `actions: read`)
# needs: gh, jq
set -euo pipefail

if [[ $# -lt 3 || $# -gt 4 || ($# -eq 4 && "$4" != "--reviewers") ]]; then
  echo "usage: $0 <owner/repo> <environment> <deploy-branch> [--reviewers]" >&2
  exit 2
fi
repo=$1
environment=$2
branch=$3
need_reviewers=false
[[ $# -eq 4 ]] && need_reviewers=true

# The name goes into a URL path: percent-encoded (a slash becomes %2F); plain names need no jq.
if [[ $environment =~ ^[A-Za-z0-9._-]+$ ]]; then
  env_path=$environment
else
  env_path=$(jq -rn --arg s "$environment" '$s | @uri')
fi
settings="${GITHUB_SERVER_URL:-https://github.com}/$repo/settings/environments"
if $need_reviewers; then
  fix="Fix: run .github/scripts/setup-environments.sh $repo $branch user:<login> (as a repository admin), or in $settings"
  fix+=" set Deployment branches to 'Selected branches and tags' with the single rule '$branch' and add Required reviewers."
else
  fix="Fix: run .github/scripts/setup-environments.sh $repo $branch user:<login> (as a repository admin), or in $settings"
  fix+=" set Deployment branches to 'Selected branches and tags' with the single rule '$branch'."
fi

# One workflow-command annotation: data escapes %, CR and LF; properties also escape : and ,.
annotate() {
  local level=$1 title=$2 message=$3
  title=${title//'%'/%25}
  title=${title//$'\r'/%0D}
  title=${title//$'\n'/%0A}
  title=${title//:/%3A}
  title=${title//,/%2C}
  message=${message//'%'/%25}
  message=${message//$'\r'/%0D}
  message=${message//$'\n'/%0A}
  echo "::$level title=$title::$message"
}

problems=0
problem() {
  annotate error "Environment $environment is not protected" "$1 $fix"
  problems=$((problems + 1))
}

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
# https://docs.github.com/en/rest/deployments/environments#get-an-environment
if ! env_json=$(gh api "repos/$repo/environments/$env_path" 2>"$errors"); then
  error=$(<"$errors")
  if [[ $error == *"HTTP 404"* ]]; then
    problem "Environment '$environment' does not exist in $repo (or this token cannot see it), so nothing restricts who deploys."
  else
    annotate error "Cannot read environment $environment" \
      "Reading environment '$environment' of $repo failed: ${error//$'\n'/ } The job needs GH_TOKEN with 'actions: read'."
  fi
  exit 1
fi

# branch policy: "protected", "custom" or "none"; reviewers: how many; self-review prevented: true/false.
fields=$(jq -r '
  [ (.deployment_branch_policy as $p
      | if $p.protected_branches == true then "protected" elif $p.custom_branch_policies == true then "custom"
        else "none" end),
    ([.protection_rules // [] | .[] | select(.type == "required_reviewers") | .reviewers // [] | .[]] | length),
    ([.protection_rules // [] | .[] | select(.type == "required_reviewers") | .prevent_self_review == true] | any)
  ] | @tsv' <<<"$env_json")
read -r policy reviewers no_self_review <<<"$fields"

case $policy in
  protected)
    echo "Environment '$environment': only protected branches may deploy."
    ;;
  none)
    problem "Environment '$environment' has no deployment branch policy: any branch can deploy to it (GitHub creates a missing environment this way when a job names it)."
    ;;
  custom)
    # "<number of rules>\t<the rules other than branch $branch, comma-separated>"
    # https://docs.github.com/en/rest/deployments/branch-policies#list-deployment-branch-policies
    if ! rules=$(gh api --paginate "repos/$repo/environments/$env_path/deployment-branch-policies?per_page=100" |
      jq -rs --arg b "$branch" '[.[].branch_policies[] | {name, type: (.type // "branch")}]
        | [length, ([.[] | select(.name != $b or .type != "branch") | "\(.type) \(.name)"] | join(", "))] | @tsv'); then
      annotate error "Cannot read environment $environment" \
        "Reading the deployment branch rules of '$environment' in $repo failed (see the log above). The job needs GH_TOKEN with 'actions: read'."
      exit 1
    fi
    IFS=$'\t' read -r count others <<<"$rules"
    if [[ $count -eq 0 ]]; then
      problem "Environment '$environment' is limited to selected branches but has no branch rule, not even '$branch'."
    elif [[ -n $others ]]; then
      problem "Environment '$environment' also admits refs other than '$branch': $others."
    else
      echo "Environment '$environment': only branch '$branch' may deploy."
    fi
    ;;
esac

if $need_reviewers; then
  if [[ $reviewers -eq 0 ]]; then
    problem "Environment '$environment' has no required reviewers, so a deploy to it starts without anyone's approval."
  else
    echo "Environment '$environment': $reviewers required reviewer(s)."
    if [[ $no_self_review != true ]]; then
      annotate warning "Environment $environment allows self-review" \
        "Whoever starts a deploy to '$environment' may approve it too; setup-environments.sh turns on 'Prevent self-review'."
    fi
  fi
fi

if [[ $problems -gt 0 ]]; then
  exit 1
fi
