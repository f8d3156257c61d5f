#!/usr/bin/env bash
# Creates or updates the two GitHub environments the deploy workflow runs in, then checks them:
#   dev  - deployments only from <deploy-branch>, no reviewers;
#   prod - deployments only from <deploy-branch>, one of the required reviewers must approve, and not the person who
#          started the run (prevent_self_review).
# Safe to run again: an existing branch rule is kept, rules for other branches are removed.
#
# usage: setup-environments.sh <owner/repo> <deploy-branch> <reviewer> [<reviewer>...]
#        each reviewer is user:<login> or team:<org>/<team-slug> (up to six; they need read access to the repository)
# env:   GH_TOKEN (a token of a repository admin; `gh auth login` works too), DEV_ENVIRONMENT (default dev),
#        PROD_ENVIRONMENT (default prod)
# needs: gh, jq
#
# Plans (https://docs.github.com/en/actions/how-tos/deploy/configure-and-manage-deployments/manage-environments):
# environments and deployment branch rules exist in public repositories on every plan, and in private or internal
# repositories on GitHub Pro, Team or Enterprise; required reviewers in a private or internal repository need GitHub
# Enterprise (on Free, Pro and Team they are for public repositories only).
set -euo pipefail

readonly PLANS_URL="https://docs.github.com/en/actions/how-tos/deploy/configure-and-manage-deployments/manage-environments"

usage() {
  echo "usage: $0 <owner/repo> <deploy-branch> <reviewer> [<reviewer>...]  (reviewer: user:<login> or team:<org>/<slug>)" >&2
  exit 2
}

[[ $# -ge 2 && "$1" == */* && -n "$2" ]] || usage
repo=$1
branch=$2
shift 2
dev_env=${DEV_ENVIRONMENT:-dev}
prod_env=${PROD_ENVIRONMENT:-prod}
if [[ $# -eq 0 ]]; then
  echo "error: no reviewer given: $prod_env needs at least one required reviewer, e.g. user:octocat or team:my-org/deployers" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Names go into URL paths, so they are percent-encoded (a slash becomes %2F); plain names need no jq.
uri() {
  if [[ $1 =~ ^[A-Za-z0-9._-]+$ ]]; then
    printf '%s\n' "$1"
  else
    jq -rn --arg s "$1" '$s | @uri'
  fi
}

# Reviewers as the API takes them: {"type": "User"|"Team", "id": <id>}, comma-separated, each once.
reviewers=''
for reviewer in "$@"; do
  case $reviewer in
    user:?*)
      login=${reviewer#user:}
      # https://docs.github.com/en/rest/users/users#get-a-user
      if ! account=$(gh api "users/$(uri "$login")"); then
        echo "error: no GitHub user '$login' (reviewer '$reviewer')" >&2
        exit 1
      fi
      type=User
      ;;
    team:?*/?*)
      org_slug=${reviewer#team:}
      org=${org_slug%%/*}
      slug=${org_slug#*/}
      # https://docs.github.com/en/rest/teams/teams#get-a-team-by-name
      if ! account=$(gh api "orgs/$(uri "$org")/teams/$(uri "$slug")"); then
        echo "error: no team '$slug' in organization '$org' visible to this token (reviewer '$reviewer')" >&2
        exit 1
      fi
      type=Team
      ;;
    *)
      echo "error: reviewer '$reviewer' is neither user:<login> nor team:<org>/<slug>" >&2
      exit 2
      ;;
  esac
  id=$(jq -r '.id' <<<"$account")
  if [[ ! $id =~ ^[0-9]+$ ]]; then
    echo "error: GitHub returned no id for reviewer '$reviewer'" >&2
    exit 1
  fi
  entry="{\"type\": \"$type\", \"id\": $id}"
  [[ ",$reviewers," == *",$entry,"* ]] || reviewers+=${reviewers:+,}$entry
done

# Exactly one deployment branch rule, for $branch: add it unless it exists, remove every other rule.
only_deploy_branch() {
  local env_path=$1 plan
  # First line "keep" or "add" (the rule for $branch), then "<id>\t<type> <name>" of each other rule.
  # https://docs.github.com/en/rest/deployments/branch-policies#list-deployment-branch-policies
  plan=$(gh api --paginate "repos/$repo/environments/$env_path/deployment-branch-policies?per_page=100" |
    jq -rs --arg b "$branch" '[.[].branch_policies[] | .type //= "branch"]
      | (if any(.[]; .name == $b and .type == "branch") then "keep" else "add" end),
        (.[] | select(.name != $b or .type != "branch") | "\(.id)\t\(.type) \(.name)")')
  if [[ ${plan%%$'\n'*} == keep ]]; then
    echo "  branch rule '$branch' already there"
  else
    # https://docs.github.com/en/rest/deployments/branch-policies#create-a-deployment-branch-policy
    gh api -X POST "repos/$repo/environments/$env_path/deployment-branch-policies" \
      -f name="$branch" -f type=branch >/dev/null
    echo "  added branch rule '$branch'"
  fi
  tail -n +2 <<<"$plan" | while IFS=$'\t' read -r policy_id description; do
    # https://docs.github.com/en/rest/deployments/branch-policies#delete-a-deployment-branch-policy
    gh api -X DELETE "repos/$repo/environments/$env_path/deployment-branch-policies/$policy_id" >/dev/null
    echo "  removed rule '$description'"
  done
}

# Only branches that match the environment's own rules may deploy (not "all branches", not "protected branches").
branch_policy='{"protected_branches": false, "custom_branch_policies": true}'

echo "Environment '$dev_env' of $repo: deployments from '$branch' only"
dev_path=$(uri "$dev_env")
# https://docs.github.com/en/rest/deployments/environments#create-or-update-an-environment
if ! gh api -X PUT "repos/$repo/environments/$dev_path" --input - >/dev/null \
  <<<"{\"deployment_branch_policy\": $branch_policy}"; then
  echo "error: GitHub refused environment '$dev_env': this needs an admin token, and in a private or internal" \
    "repository GitHub Pro, Team or Enterprise ($PLANS_URL)" >&2
  exit 1
fi
only_deploy_branch "$dev_path"

echo "Environment '$prod_env' of $repo: deployments from '$branch' only, approved by one of: $*"
prod_path=$(uri "$prod_env")
# https://docs.github.com/en/rest/deployments/environments#create-or-update-an-environment
if ! gh api -X PUT "repos/$repo/environments/$prod_path" --input - >/dev/null \
  <<<"{\"deployment_branch_policy\": $branch_policy, \"reviewers\": [$reviewers], \"prevent_self_review\": true}"; then
  echo "error: GitHub refused required reviewers on environment '$prod_env' (its answer is above): required" \
    "reviewers need GitHub Enterprise on a private or internal repository (GitHub Free, Pro and Team offer them on" \
    "public repositories only), so make $repo public or move it to GitHub Enterprise Cloud ($PLANS_URL)." >&2
  exit 1
fi
only_deploy_branch "$prod_path"

echo "Checking both environments as the deploy jobs will"
"$here/require-protected-environment.sh" "$repo" "$dev_env" "$branch"
"$here/require-protected-environment.sh" "$repo" "$prod_env" "$branch" --reviewers
echo "Done: '$dev_env' and '$prod_env' admit only '$branch', and '$prod_env' waits for a reviewer."
