"""ECS's native blue/green: two identical target groups, forward-only rules, a guarded test listener, ECS's role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.harness import ACCOUNT, Deployment, run_program
from tests.iam_model import trusts
from tests.test_scaling_and_alarms import alarm_metrics_aws_would_not_match

CIDR = "203.0.113.0/24"
CERTIFICATE = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"


@pytest.fixture(scope="module")
def blue_green() -> Deployment:
    return run_program("dev", {"deploymentStrategy": "BLUE_GREEN", "bakeTimeMinutes": 10, "testListenerCidrs": [CIDR]})


def test_green_target_group_is_identical_to_blue_on_the_container_port(blue_green: Deployment) -> None:
    by_name = {r.name: r.inputs for r in blue_green.of_type("aws:lb/targetGroup:TargetGroup")}
    blue, green = by_name["library-tg"], by_name["library-grn"]
    assert blue == green
    assert blue["port"] == 8081
    assert blue["healthCheck"]["path"] == "/actuator/health"


def test_service_is_wired_for_ecs_blue_green(blue_green: Deployment) -> None:
    service = blue_green.one("aws:ecs/service:Service").inputs
    assert service["deploymentConfiguration"] == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "10"}
    [balancer] = service["loadBalancers"]
    rules = {r.name: r.state["arn"] for r in blue_green.of_type("aws:lb/listenerRule:ListenerRule")}
    green = blue_green.named("library-grn").state["arn"]
    role = blue_green.get("aws:iam/role:Role", "library-bg-infrastructure")
    assert balancer["targetGroupArn"] == blue_green.named("library-tg").state["arn"]
    assert balancer["advancedConfiguration"] == {
        "alternateTargetGroupArn": green,
        "productionListenerRule": rules["library-bg-production"],
        "testListenerRule": rules["library-bg-test"],
        "roleArn": role.state["arn"],
    }
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_production_rule_forwards_all_traffic_to_blue_and_none_to_green(blue_green: Deployment) -> None:
    rule = blue_green.named("library-bg-production").inputs
    assert rule["listenerArn"] == blue_green.named("library-http").state["arn"]
    assert rule["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
    [action] = rule["actions"]
    assert action["type"] == "forward"
    weights = {g["arn"]: g["weight"] for g in action["forward"]["targetGroups"]}
    assert weights == {
        blue_green.named("library-tg").state["arn"]: 100,
        blue_green.named("library-grn").state["arn"]: 0,
    }


def test_every_listener_and_rule_action_is_a_forward(blue_green: Deployment) -> None:
    for rule in blue_green.of_type("aws:lb/listenerRule:ListenerRule"):
        assert {a["type"] for a in rule.inputs["actions"]} == {"forward"}, rule.name
    for listener in blue_green.of_type("aws:lb/listener:Listener"):
        assert {a["type"] for a in listener.inputs["defaultActions"]} == {"forward"}, listener.name


def forwarded_to(action: dict[str, Any]) -> set[str]:
    """The target groups a forward action sends requests to. ELB needs TargetGroupArn or ForwardConfig (ELB API
    reference, Action: "To route to one or more target groups, use ForwardConfig"); one without both is refused."""
    return ({action["targetGroupArn"]} if action.get("targetGroupArn") else set()) | {
        group["arn"] for group in action.get("forward", {}).get("targetGroups", [])
    }


@pytest.mark.parametrize("https", [False, True])
def test_every_forward_action_sends_requests_to_the_stacks_own_target_groups(
    blue_green: Deployment, https: bool
) -> None:
    deployment = (
        run_program("dev", {"deploymentStrategy": "BLUE_GREEN", "certificateArn": CERTIFICATE}) if https else blue_green
    )
    groups = {g.state["arn"] for g in deployment.of_type("aws:lb/targetGroup:TargetGroup")}
    actions = [a for r in deployment.of_type("aws:lb/listenerRule:ListenerRule") for a in r.inputs["actions"]] + [
        a for listener in deployment.of_type("aws:lb/listener:Listener") for a in listener.inputs["defaultActions"]
    ]
    forwards = [a for a in actions if a["type"] == "forward"]
    assert len(forwards) >= 3  # production and test rules, the listeners'
    for action in forwards:
        assert forwarded_to(action), action
        assert forwarded_to(action) <= groups, action


def test_test_listener_is_reachable_only_from_the_configured_cidrs(blue_green: Deployment) -> None:
    listener = blue_green.get("aws:lb/listener:Listener", "library-bg-test")
    rule = blue_green.get("aws:lb/listenerRule:ListenerRule", "library-bg-test")
    assert rule.inputs["listenerArn"] == listener.state["arn"]
    assert listener.inputs["port"] == 8080
    opened = [
        r.inputs
        for r in blue_green.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("fromPort") == 8080
    ]
    assert [(r["cidrIpv4"], r["toPort"]) for r in opened] == [(CIDR, 8080)]


def test_without_cidrs_nobody_outside_reaches_the_test_listener() -> None:
    deployment = run_program("dev", {"deploymentStrategy": "BLUE_GREEN"})
    ports = [
        r.inputs.get("fromPort")
        for r in deployment.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    ]
    assert 8080 not in ports


def test_ecs_gets_an_infrastructure_role_for_the_load_balancer(blue_green: Deployment) -> None:
    role = next(r for r in blue_green.of_type("aws:iam/role:Role") if r.name == "library-bg-infrastructure")
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    [attachment] = [
        a
        for a in blue_green.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.state["name"]
    ]
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"


def test_only_ecs_may_assume_the_infrastructure_role(blue_green: Deployment) -> None:
    # ECS moves the listener weights as the service principal ecs.amazonaws.com (ECS developer guide, "Amazon ECS
    # infrastructure IAM role"); no other service, and no identity of the account, needs the role.
    role = blue_green.get("aws:iam/role:Role", "library-bg-infrastructure")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trusts(trust, ("Service", "ecs.amazonaws.com"))
    for other in (("Service", "ecs-tasks.amazonaws.com"), ("Service", "ec2.amazonaws.com"), ("AWS", ACCOUNT)):
        assert not trusts(trust, other), other


def test_ecs_owned_weights_are_not_reset_by_later_deploys(blue_green: Deployment) -> None:
    # The test rule's weights belong to ECS; the production rule declares the live weights it reads (below).
    assert blue_green.get("aws:lb/listenerRule:ListenerRule", "library-bg-test").ignore_changes == ["actions"]
    assert blue_green.get("aws:lb/listener:Listener", "library-bg-test").ignore_changes == ["defaultActions"]
    assert blue_green.get("aws:lb/listener:Listener", "library-http").ignore_changes == ["defaultActions"]


def test_rollback_alarms_watch_both_target_groups(blue_green: Deployment) -> None:
    alarm = next(
        a for a in blue_green.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.name.endswith("unhealthy-hosts")
    )
    watched = {q["metric"]["dimensions"]["TargetGroup"] for q in alarm.inputs["metricQueries"] if "metric" in q}
    assert len(watched) == 2
    assert alarm_metrics_aws_would_not_match(blue_green) == []


def test_with_https_the_production_rule_sits_on_the_https_listener_and_tests_use_tls_too() -> None:
    deployment = run_program("dev", {"deploymentStrategy": "BLUE_GREEN", "certificateArn": CERTIFICATE})
    https = next(r for r in deployment.of_type("aws:lb/listener:Listener") if r.inputs["port"] == 443)
    assert deployment.named("library-bg-production").inputs["listenerArn"] == https.state["arn"]
    test = deployment.get("aws:lb/listener:Listener", "library-bg-test").inputs
    assert (test["protocol"], test["certificateArn"]) == ("HTTPS", CERTIFICATE)
    assert test["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"


def test_a_rollout_that_bakes_gets_the_time_to_finish(blue_green: Deployment) -> None:
    service = blue_green.one("aws:ecs/service:Service")
    assert service.inputs["waitForSteadyState"] is True
    assert service.custom_timeouts["update"] == "40m"  # 30 minutes and the 10-minute bake


def _production_weights(deployment: Deployment) -> dict[str, int]:
    [action] = deployment.named("library-bg-production").inputs["actions"]
    return {g["arn"]: g["weight"] for g in action["forward"]["targetGroups"]}


def test_replacing_the_production_listener_rule_keeps_the_live_weights(blue_green: Deployment) -> None:
    """Adding a certificate moves the production rule from :80 to :443, so the rule is created anew. The last
    deployment left production traffic on green; the new rule must start there, not at blue=100 (503s)."""
    blue = blue_green.named("library-tg").state["arn"]
    green = blue_green.named("library-grn").state["arn"]
    old_rule = blue_green.outputs["productionListenerRuleArn"]
    moved = run_program(
        "dev",
        {"deploymentStrategy": "BLUE_GREEN", "certificateArn": CERTIFICATE},
        stack_outputs={"organization/library-infra/dev": blue_green.outputs},
        listener_rules={old_rule: {blue: 0, green: 100}},
    )
    https = next(r for r in moved.of_type("aws:lb/listener:Listener") if r.inputs["port"] == 443)
    assert moved.named("library-bg-production").inputs["listenerArn"] == https.state["arn"]
    assert _production_weights(moved) == {blue: 0, green: 100}
    assert moved.named("library-bg-production").ignore_changes == []


def test_a_new_blue_green_stack_sends_production_traffic_to_the_primary_group(blue_green: Deployment) -> None:
    blue = blue_green.named("library-tg").state["arn"]
    green = blue_green.named("library-grn").state["arn"]
    assert _production_weights(blue_green) == {blue: 100, green: 0}
    assert blue_green.outputs["productionListenerRuleArn"] == blue_green.named("library-bg-production").state["arn"]
    assert ("pulumi:pulumi:StackReference", "previous-deployment", "organization/library-infra/dev") in (
        blue_green.reads
    )


def test_a_rolling_stack_reads_no_previous_rule(dev: Deployment) -> None:
    assert dev.outputs["productionListenerRuleArn"] is None
    assert not [a for token, a in dev.calls if token == "aws:lb/getListenerRule:getListenerRule"]


def test_green_target_group_keeps_its_urn_through_the_rename(blue_green: Deployment) -> None:
    """Stacks created while the green group was called ``library-bg-green`` keep it: no replacement on upgrade."""
    green = blue_green.named("library-grn")
    assert green.parent_type == "library:ecs:BlueGreenRouting"
    assert any(alias.endswith("library-bg-green") for alias in green.aliases), green.aliases


def test_requests_per_target_scaling_with_blue_green_is_refused_saying_why() -> None:
    """ALBRequestCountPerTarget follows one target group; after a traffic shift it reads 0 and scales in."""
    from stack_support.settings import ConfigError

    with pytest.raises(ConfigError) as error:
        run_program(
            "dev",
            {"deploymentStrategy": "BLUE_GREEN", "autoscaling": {"minCount": 1, "maxCount": 4, "requestsPerTarget": 9}},
        )
    message = str(error.value)
    assert "autoscaling.requestsPerTarget with deploymentStrategy=BLUE_GREEN" in message
    assert "scales in to minCount" in message
    assert "Use cpuTarget or memoryTarget" in message
