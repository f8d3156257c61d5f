"""AppSecrets: the SSM parameters the container reads at start, and the key that decrypts them.

Creates, for each variable that has a value in ``secretValues``:
- kms.Key ``<name>-key`` (rotation on) with kms.Alias ``alias/<name>-<stack>``, once for the stack;
- ssm.Parameter ``<name>-<VARIABLE>``: a SecureString under the configured name, encrypted with that key.
References every other configured parameter by looking it up (``ssm:GetParameter`` without decryption), so a
misspelt or missing parameter stops ``pulumi preview`` instead of a task start.

Exposes ``parameter_arns`` (variable -> ARN) and ``decrypt_key_arns``, the keys that may encrypt them:
the stack's key, ``kmsKeyArn`` for existing parameters, or, with neither, every key of the account and region
(the execution role's policy then limits their use to SSM with ``kms:ViaService``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AppSecretsArgs:
    parameters: Mapping[str, str]
    """Variable name -> SSM parameter name (starting with '/')."""
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    partition: pulumi.Input[str]
    values: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Variable name -> secret value, for the parameters this stack creates and owns."""
    kms_key_arn: str | None = None
    """The key that encrypts the existing (referenced) parameters, when it is a customer managed key."""


def account_keys_arn(partition: str, region: str, account_id: str) -> str:
    return f"arn:{partition}:kms:{region}:{account_id}:key/*"


class AppSecrets(pulumi.ComponentResource):
    parameter_arns: dict[str, pulumi.Output[str]]
    decrypt_key_arns: list[pulumi.Output[str]]
    key_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("library:secrets:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.key_arn = None
        self.parameter_arns = {}
        self.decrypt_key_arns = []
        owned = {var: p for var, p in args.parameters.items() if var in args.values}
        referenced = {var: p for var, p in args.parameters.items() if var not in args.values}

        if owned:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"Encrypts the SSM parameters of {pulumi.get_project()}/{pulumi.get_stack()}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                opts=child,
            )
            aws.kms.Alias(
                f"{name}-alias", name=f"alias/{name}-{pulumi.get_stack()}", target_key_id=key.key_id, opts=child
            )
            self.key_arn = key.arn
            self.decrypt_key_arns.append(key.arn)
            for var, parameter_name in sorted(owned.items()):
                parameter = aws.ssm.Parameter(
                    f"{name}-{var}",
                    name=parameter_name,
                    type="SecureString",
                    key_id=key.arn,
                    value=pulumi.Output.secret(args.values[var]),
                    description=f"{var} for {pulumi.get_project()}/{pulumi.get_stack()}",
                    opts=child,
                )
                self.parameter_arns[var] = parameter.arn

        for var, parameter_name in sorted(referenced.items()):
            found = aws.ssm.get_parameter_output(
                name=parameter_name, with_decryption=False, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.parameter_arns[var] = found.arn
        if referenced:
            if args.kms_key_arn is not None:
                self.decrypt_key_arns.append(pulumi.Output.from_input(args.kms_key_arn))
            else:
                self.decrypt_key_arns.append(
                    pulumi.Output.all(args.partition, args.region, args.account_id).apply(
                        lambda a: account_keys_arn(str(a[0]), str(a[1]), str(a[2]))
                    )
                )

        self.register_outputs(
            {"parameterArns": self.parameter_arns, "decryptKeyArns": self.decrypt_key_arns, "keyArn": self.key_arn}
        )
