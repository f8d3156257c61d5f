"""The library-infra policy pack: `pulumi preview --policy-pack policy` runs it."""

from pulumi_policy import PolicyPack

from guardrails import POLICIES

PolicyPack(name="library-infra-guardrails", policies=POLICIES)
