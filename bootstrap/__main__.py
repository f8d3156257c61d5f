"""library-infra-bootstrap: once per AWS account, the OIDC trust and roles GitHub Actions uses, and a state bucket."""

import pulumi
import pulumi_aws as aws

import bootstrap_settings
from github_access import GITHUB_OIDC_HOST, GithubActionsAccess, GithubActionsAccessArgs
from state_bucket import StateBucket

settings = bootstrap_settings.load()
identity = aws.get_caller_identity_output()

state = StateBucket("library-infra-state") if settings.create_state_bucket else None
existing_provider = (
    aws.iam.get_open_id_connect_provider_output(url=f"https://{GITHUB_OIDC_HOST}").arn
    if settings.adopt_oidc_provider
    else None
)
access = GithubActionsAccess(
    "library-infra-ci",
    GithubActionsAccessArgs(
        github_repository=settings.github_repository,
        deploy_branch=settings.deploy_branch,
        dev_environment=settings.dev_environment,
        prod_environment=settings.prod_environment,
        app_name=settings.app_name,
        parameter_prefix=settings.parameter_prefix,
        repository_name=settings.repository_name,
        account_id=identity.account_id,
        region=aws.get_region_output().region,
        partition=aws.get_partition_output().partition,
        existing_provider_arn=existing_provider,
        state_bucket=state.name if state else None,
        stacks=settings.stacks,
    ),
)

pulumi.export("oidcProviderArn", access.provider_arn)
pulumi.export("previewRoleArn", access.preview_role.arn)
pulumi.export("deployRoleArn", access.deploy_role.arn)
# Set it on every stack of library-infra: `pulumi config set permissionsBoundaryArn <this>`.
pulumi.export("permissionsBoundaryArn", access.boundary.arn)
pulumi.export("stateBucketName", state.name if state else "")
# The region travels in the URL, so `pulumi login` reaches the bucket whatever AWS_REGION says.
region = aws.get_region_output().region
pulumi.export(
    "backendUrl",
    pulumi.Output.all(state.name, region).apply(lambda a: f"s3://{a[0]}?region={a[1]}") if state else "",
)
# Per stack: `pulumi stack init <stack> --secrets-provider <this>` (or `pulumi stack change-secrets-provider <this>`).
pulumi.export("secretsProviders", access.secrets_providers)
