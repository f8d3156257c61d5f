"""Everything the program needs besides its components: the stack's settings, what it looks up in the account, and the
tools around a deployment.

settings     reads and validates every config key, before any resource is registered
aws_env      account, region, default VPC and subnets, the database's security group
app_source   checks that dockerContext holds what the Dockerfile copies, and hashes it (the image's identity)
live_traffic the previous deployment's outputs: blue/green's production rule, the image tag it pushed
promotion    imageFromStack: the source stack's image through a StackReference
cost         the price table behind estimatedMonthlyCostUsd
local_aws    starts and stops the moto server of `make local`
doctor       `make doctor`: the read-only preflight of the account
"""
