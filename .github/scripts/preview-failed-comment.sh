#!/usr/bin/env bash
# Says on the pull request that this stack's `pulumi preview` failed.
#
# pulumi/actions (v7, src/libs/pr.ts) keeps one comment per stack: its body starts with the heading
# "#### :tropical_drink: `preview` on <project>/<stack>" and contains "<summary>Pulumi report</summary>", and each
# successful preview edits the first such comment. A failed preview posts nothing, so the last green result would
# stay on the pull request as if it still held. This edits that comment (every such comment of this stack, should
# there be several), or creates one, to say the preview failed. The new body keeps the heading and the summary marker,
# so the next successful preview replaces it again.
#
# env:   GH_TOKEN (pull-requests: write), REPOSITORY (owner/name), PR_NUMBER, PROJECT (the Pulumi project name),
#        STACK (the stack name exactly as given to pulumi/actions' stack-name), RUN_URL (this workflow run)
#        The commit is read from the pull_request event (GITHUB_EVENT_PATH); HEAD_SHA overrides it.
# needs: gh, jq
set -euo pipefail

: "${GH_TOKEN:?GH_TOKEN must be set}"
: "${REPOSITORY:?REPOSITORY (owner/name) must be set}"
: "${PR_NUMBER:?PR_NUMBER must be set}"
: "${PROJECT:?PROJECT (the Pulumi project name) must be set}"
: "${STACK:?STACK (the stack name given to pulumi/actions) must be set}"
: "${RUN_URL:?RUN_URL must be set}"
[[ $PR_NUMBER =~ ^[0-9]+$ ]] || {
  echo "error: PR_NUMBER '$PR_NUMBER' is not a number" >&2
  exit 2
}

heading="#### :tropical_drink: \`preview\` on ${PROJECT}/${STACK}"
summary='<summary>Pulumi report</summary>'

sha=${HEAD_SHA:-}
if [[ -z $sha && -n ${GITHUB_EVENT_PATH:-} && -r ${GITHUB_EVENT_PATH:-} ]]; then
  sha=$(jq -r '.pull_request.head.sha // empty' "$GITHUB_EVENT_PATH")
fi
if [[ -n $sha ]]; then
  commit="commit \`${sha:0:12}\`"
else
  commit="the latest commit"
fi

body="${heading}

:x: **The preview FAILED for ${commit}.** The previous preview result shown here no longer applies: there is no \
successful preview of this commit, so do not merge on the strength of an older plan.

See the [workflow run](${RUN_URL}) for the error. The next successful preview replaces this comment.

<details>
${summary}

No report: \`pulumi preview\` failed for ${commit} before it could produce one ([workflow run](${RUN_URL})).
</details>"
payload=$(jq -n --arg body "$body" '{body: $body}')

# --paginate prints one JSON array per page; jq -s 'add' joins them. The heading must end where pulumi/actions ends
# it (a newline, or the end of the body): the comment of stack "dev2" is not the one of stack "dev".
# https://docs.github.com/en/rest/issues/comments#list-issue-comments
ids=$(gh api --paginate "repos/$REPOSITORY/issues/$PR_NUMBER/comments?per_page=100" |
  jq -rs --arg h "$heading" --arg s "$summary" 'add // [] | .[]
    | select((.body // "") as $b
        | ($b == $h or ($b | startswith($h + "\n")) or ($b | startswith($h + "\r\n"))) and ($b | contains($s)))
    | .id')

if [[ -z $ids ]]; then
  # https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
  gh api -X POST "repos/$REPOSITORY/issues/$PR_NUMBER/comments" --input - <<<"$payload" >/dev/null
  echo "Posted on #$PR_NUMBER that the preview of $PROJECT/$STACK failed."
else
  for id in $ids; do
    # https://docs.github.com/en/rest/issues/comments#update-an-issue-comment
    gh api -X PATCH "repos/$REPOSITORY/issues/comments/$id" --input - <<<"$payload" >/dev/null
    echo "Marked comment $id on #$PR_NUMBER: the preview of $PROJECT/$STACK failed."
  done
fi
