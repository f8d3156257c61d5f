"""A discrete-time model (1-second steps) of one ECS deployment behind an Application Load Balancer.

Every number about the stack comes from what the program registers (see :meth:`Stack.from_resources`): the target
groups' health checks and deregistration delay, the service's grace period, circuit breaker, alarms, strategy, bake
time, task count and percentages, the container's health check, and each CloudWatch alarm's queries, expression,
threshold, operator, periods, datapoints and missing-data treatment. The app is described by :class:`App` (how long
it takes to boot, whether it breaks later). The rules are AWS's documented ones, each with its page; the few things
AWS does not document are named assumptions below, and :func:`ecs_rolling_bake_seconds` is one.

Time 0 is the moment ECS starts the deployment (``pulumi up`` updated the service); ``phase`` is the second of the
wall-clock minute at which that happens, since CloudWatch's periods are aligned to the clock.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# --- Named assumptions: not AWS numbers -----------------------------------------------------------------------------
LAUNCH_TO_REGISTRATION = 30
"""Seconds from ECS launching a Fargate task to its container starting (ENI attach, image pull of a JVM image).
ECS registers the task's IP in the target group in ACTIVATING, right after, before RUNNING; the model registers it
in the same second the container starts, and treats RUNNING as the same second too."""
REQUESTS_PER_SECOND = 1.0
"""Steady production traffic: 60 requests a minute, split evenly over the targets the ALB routes to."""
ROLLBACK_BOOT_SECONDS = 60
"""Boot time of the previous revision when a rollback has to start its tasks again."""

# --- Pages the rules come from ---------------------------------------------------------------------------------------
ALB_HEALTH = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html"
ALB_METRICS = (
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html"
)
TARGET_HEALTH_API = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html"
ROADMAP_1270 = "https://github.com/aws/containers-roadmap/issues/1270"
TASK_LIFECYCLE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html"
CREATE_SERVICE = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html"
CONTAINER_HEALTH = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html"
BREAKER_API = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html"
BREAKER = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html"
ALARM_FAILURE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html"
BLUE_GREEN = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html"
PUT_METRIC_ALARM = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
ALARM_EVALUATION = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"
METRIC_MATH = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html"
TF_ECS_WAITER = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/ecs/service.go"


# --- The stack, as registered -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetGroup:
    """A target group's health check and deregistration delay."""

    arn: str
    arn_suffix: str
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int
    deregistration_delay: int


@dataclass(frozen=True)
class ContainerHealthCheck:
    """The essential container's Docker health check (ECS field names, seconds)."""

    interval: int
    timeout: int
    retries: int
    start_period: int


@dataclass(frozen=True)
class Query:
    """One entry of an alarm's ``metricQueries``: an ALB metric of one target group, or an expression."""

    id: str
    return_data: bool
    metric_name: str | None = None
    stat: str | None = None
    period: int | None = None
    target_group: str | None = None
    """The TargetGroup dimension (``targetgroup/<name>/<id>``)."""
    expression: str | None = None


@dataclass(frozen=True)
class Alarm:
    """A metric-math CloudWatch alarm, from a ``MetricAlarm``'s inputs."""

    name: str
    queries: tuple[Query, ...]
    threshold: float
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str

    @classmethod
    def from_inputs(cls, name: str, inputs: Mapping[str, Any]) -> Alarm:
        queries = []
        for q in inputs["metricQueries"]:
            metric = q.get("metric")
            queries.append(
                Query(
                    id=q["id"],
                    return_data=bool(q.get("returnData", False)),
                    metric_name=metric["metricName"] if metric else None,
                    stat=metric["stat"] if metric else None,
                    period=int(metric["period"]) if metric else None,
                    target_group=metric["dimensions"].get("TargetGroup") if metric else None,
                    expression=q.get("expression"),
                )
            )
        return cls(
            name=name,
            queries=tuple(queries),
            threshold=float(inputs["threshold"]),
            comparison=inputs["comparisonOperator"],
            evaluation_periods=int(inputs["evaluationPeriods"]),
            # PutMetricAlarm: DatapointsToAlarm defaults to EvaluationPeriods (PUT_METRIC_ALARM).
            datapoints_to_alarm=int(inputs.get("datapointsToAlarm") or inputs["evaluationPeriods"]),
            # PutMetricAlarm: TreatMissingData defaults to "missing" (PUT_METRIC_ALARM).
            treat_missing_data=inputs.get("treatMissingData") or "missing",
        )

    @property
    def period(self) -> int:
        """The alarm's period: every metric query of one alarm uses the same one."""
        periods = {q.period for q in self.queries if q.period is not None}
        if len(periods) != 1:
            raise NotImplementedError(f"{self.name}: metric queries with periods {periods}")
        return periods.pop()


@dataclass(frozen=True)
class Service:
    """The ECS service's deployment settings."""

    strategy: str
    desired_count: int
    minimum_healthy_percent: int
    maximum_percent: int
    grace_period: int
    circuit_breaker: bool
    circuit_breaker_rollback: bool
    alarms_enabled: bool
    alarms_rollback: bool
    alarm_names: tuple[str, ...]
    bake_time_minutes: int
    primary_target_group: str
    alternate_target_group: str | None
    wait_timeout: int
    """Seconds ``pulumi up`` waits for the deployment (the service's ``customTimeouts.update``)."""


def _duration(text: str) -> int:
    """Seconds in a Pulumi custom timeout (``"30m"``, ``"1h5m"``, ``"90s"``)."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"unknown duration {text!r}")
    return sum(int(n) * units[u] for n, u in parts)


@dataclass(frozen=True)
class Stack:
    """What the model reads from the registered resources."""

    service: Service
    target_groups: Mapping[str, TargetGroup]
    """By ARN."""
    container: ContainerHealthCheck
    alarms: tuple[Alarm, ...]
    """The alarms the service's deployment watches."""

    @classmethod
    def from_resources(
        cls,
        *,
        service: Mapping[str, Any],
        update_timeout: str,
        target_groups: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
        container: Mapping[str, Any],
        alarms: Mapping[str, Mapping[str, Any]],
    ) -> Stack:
        """Build the model's view from an ``ecs.Service``'s inputs and update timeout, the ``(inputs, state)`` of
        each ``lb.TargetGroup``, the container definition and each ``MetricAlarm``'s inputs by its name."""
        groups = {}
        for inputs, state in target_groups:
            health = inputs["healthCheck"]
            groups[state["arn"]] = TargetGroup(
                arn=state["arn"],
                arn_suffix=state["arnSuffix"],
                interval=int(health["interval"]),
                timeout=int(health["timeout"]),
                healthy_threshold=int(health["healthyThreshold"]),
                unhealthy_threshold=int(health["unhealthyThreshold"]),
                deregistration_delay=int(inputs["deregistrationDelay"]),
            )
        [load_balancer] = service["loadBalancers"]
        advanced = load_balancer.get("advancedConfiguration") or {}
        configuration = service["deploymentConfiguration"]
        breaker = service.get("deploymentCircuitBreaker") or {}
        deployment_alarms = service.get("alarms") or {}
        alarm_names = tuple(deployment_alarms.get("alarmNames") or ())
        health = container["healthCheck"]
        return cls(
            service=Service(
                strategy=configuration.get("strategy", "ROLLING"),
                desired_count=int(service["desiredCount"]),
                minimum_healthy_percent=int(service["deploymentMinimumHealthyPercent"]),
                maximum_percent=int(service["deploymentMaximumPercent"]),
                grace_period=int(service.get("healthCheckGracePeriodSeconds") or 0),
                circuit_breaker=bool(breaker.get("enable")),
                circuit_breaker_rollback=bool(breaker.get("rollback")),
                alarms_enabled=bool(deployment_alarms.get("enable")),
                alarms_rollback=bool(deployment_alarms.get("rollback")),
                alarm_names=alarm_names,
                bake_time_minutes=int(configuration.get("bakeTimeInMinutes") or 0),
                primary_target_group=load_balancer["targetGroupArn"],
                alternate_target_group=advanced.get("alternateTargetGroupArn"),
                wait_timeout=_duration(update_timeout),
            ),
            target_groups=groups,
            container=ContainerHealthCheck(
                interval=int(health["interval"]),
                timeout=int(health["timeout"]),
                retries=int(health["retries"]),
                start_period=int(health.get("startPeriod") or 0),
            ),
            alarms=tuple(Alarm.from_inputs(name, alarms[name]) for name in alarm_names),
        )


def circuit_breaker_threshold(desired_count: int) -> int:
    """Failed tasks that fail a deployment."""
    # threshold = 0.5 x desired task count, at least 3 and at most 200 (BREAKER_API).
    return min(200, max(3, math.ceil(0.5 * desired_count)))


def ecs_rolling_bake_seconds(alarms: Sequence[Alarm]) -> int:
    """How long ECS keeps watching the alarms after a rolling deployment reached steady state.

    ECS "computes this time period based on the alarm configuration" and does not say how (ALARM_FAILURE): the model
    takes the longest window an alarm looks at, max over alarms of evaluation periods x period. An assumption.
    """
    return max((a.evaluation_periods * a.period for a in alarms), default=0)


# --- Metric math --------------------------------------------------------------------------------------------------
Value = float | None
"""A datapoint; None is a missing one."""
Node = Callable[[Mapping[str, Value]], Value]

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>]))")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_ARITHMETIC: dict[str, Callable[[float, float], Value]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else None,
}


def _tokens(expression: str) -> Iterator[str]:
    position = 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        if not match:
            raise ValueError(f"cannot read {expression[position:]!r} in {expression!r}")
        yield match.group(match.lastindex or 0)
        position = match.end()


def _lookup(name: str, env: Mapping[str, Value]) -> Value:
    return env[name]


def compile_expression(expression: str) -> Node:
    """Metric math with numbers, query ids, ``+ - * /``, comparisons, ``IF(c, a, b)`` and ``FILL(x, v)``
    (METRIC_MATH).

    AWS does not spell out what an operator does with a missing datapoint; the model takes the strict reading, a
    missing operand makes the result missing (an assumption), which is what FILL exists for: it replaces a missing
    datapoint with a value.
    """
    tokens = list(_tokens(expression))
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal position
        token = tokens[position]
        if expected is not None and token != expected:
            raise ValueError(f"expected {expected!r}, found {token!r} in {expression!r}")
        position += 1
        return token

    def binary(operand: Callable[[], Node], operators: Mapping[str, Callable[[float, float], Any]]) -> Node:
        left = operand()
        while peek() in operators:
            operator = operators[take()]
            right = operand()

            def node(env: Mapping[str, Value], a: Node = left, b: Node = right, op: Any = operator) -> Value:
                x, y = a(env), b(env)
                if x is None or y is None:
                    return None
                result = op(x, y)
                return float(result) if result is not None else None

            left = node
        return left

    def comparison() -> Node:
        return binary(additive, _COMPARE)

    def additive() -> Node:
        return binary(term, {k: _ARITHMETIC[k] for k in "+-"})

    def term() -> Node:
        return binary(primary, {k: _ARITHMETIC[k] for k in "*/"})

    def primary() -> Node:
        token = take()
        if token == "(":
            inner = comparison()
            take(")")
            return inner
        if token == "-":
            operand = primary()
            return lambda env: None if (v := operand(env)) is None else -v
        if token[0].isdigit():
            number = float(token)
            return lambda env: number
        if peek() == "(":
            take("(")
            arguments = [comparison()]
            while peek() == ",":
                take(",")
                arguments.append(comparison())
            take(")")
            return function(token.upper(), arguments)
        return functools.partial(_lookup, token)

    def function(name: str, arguments: list[Node]) -> Node:
        if name == "IF" and len(arguments) in (2, 3):
            condition, when_true = arguments[0], arguments[1]
            when_false = arguments[2] if len(arguments) == 3 else (lambda env: None)

            def if_node(env: Mapping[str, Value]) -> Value:
                c = condition(env)
                if c is None:
                    return None
                return when_true(env) if c else when_false(env)

            return if_node
        if name == "FILL" and len(arguments) == 2:
            series, filler = arguments
            return lambda env: v if (v := series(env)) is not None else filler(env)
        raise NotImplementedError(f"metric math function {name} with {len(arguments)} arguments")

    node = comparison()
    if position != len(tokens):
        raise ValueError(f"unexpected {tokens[position]!r} in {expression!r}")
    return node


# --- The app and the simulation ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class App:
    """How the new revision behaves."""

    boot_seconds: int | None
    """Seconds from container start until the health endpoint answers 200; None: never."""
    breaks_after_traffic: int | None = None
    """Seconds after a task's first live request at which it starts failing for good (health checks and requests)."""
    response_seconds: int = 0
    """How long the app takes to answer a health check."""
    rollback_boot_seconds: int = ROLLBACK_BOOT_SECONDS


@dataclass(eq=False)
class _Task:
    revision: str  # "new" or "old"
    target_group: TargetGroup
    launched: int
    boot: int | None
    breaks_after_traffic: int | None = None
    started: int | None = None
    alb: str = "unused"  # TargetHealth states: initial, healthy, unhealthy, draining (TARGET_HEALTH_API)
    successes: int = 0
    failures: int = 0
    next_alb_check: int = 0
    container: str = "UNKNOWN"
    container_failures: int = 0
    container_ever_healthy: bool = False
    next_container_check: int = 0
    first_traffic: int | None = None
    stopped: int | None = None
    gone: int | None = None

    def state_at(self, t: int) -> str:
        """``booting``, ``up`` or ``broken``."""
        if self.started is None or self.boot is None or t < self.started + self.boot:
            return "booting"
        if (
            self.breaks_after_traffic is not None
            and self.first_traffic is not None
            and t >= self.first_traffic + self.breaks_after_traffic
        ):
            return "broken"
        return "up"

    @property
    def active(self) -> bool:
        return self.stopped is None

    @property
    def healthy(self) -> bool:
        # ECS counts a task healthy when the target group says so and its essential container with a health check
        # is HEALTHY (CREATE_SERVICE, deploymentConfiguration).
        return self.active and self.alb == "healthy" and self.container == "HEALTHY"


@dataclass
class _Minute:
    total: float = 0.0
    peak: float = 0.0
    low: float = math.inf
    samples: int = 0

    def add(self, value: float, seconds: int) -> None:
        self.total += value * seconds
        if value > self.peak:
            self.peak = value
        if value < self.low:
            self.low = value
        self.samples += seconds

    def stat(self, name: str) -> float:
        match name:
            case "Sum":
                return self.total
            case "Maximum":
                return self.peak
            case "Minimum":
                return self.low
            case "Average":
                return self.total / self.samples
            case "SampleCount":
                return float(self.samples)
        raise NotImplementedError(f"statistic {name}")


METRICS = ("UnHealthyHostCount", "HealthyHostCount", "RequestCount", "HTTPCode_Target_5XX_Count")
"""The ALB metrics of a target group the model samples every second."""
ALWAYS_REPORTED = {"UnHealthyHostCount", "HealthyHostCount"}
"""ALB metrics reported while health checks are enabled; the request counts are reported only when nonzero."""


@dataclass
class Outcome:
    """What happened to one deployment."""

    result: str
    """``COMPLETED``, ``ROLLED_BACK``, ``FAILED`` (no rollback configured) or ``TIMED_OUT``."""
    reason: str
    """What failed it: ``circuit breaker``, ``alarm <name>``, or empty."""
    done: int
    """Seconds until ``pulumi up`` returns: success when the deployment is SUCCESSFUL; an error on a rollback."""
    failed_at: int | None
    first_live_request: int | None
    """Seconds until a task of the new revision got its first production request."""
    alarms: dict[str, int]
    """Alarms that went into ALARM during the run, with the second they did."""
    tasks_launched: int
    app_ready: int | None
    """When the first new task's app answered its health endpoint."""
    old_gone: int | None
    """When the last task of the previous revision was stopped (deregistered and drained)."""

    @property
    def pulumi_up_fails(self) -> bool:
        return self.result != "COMPLETED"


@dataclass
class Rollout:
    """One deployment of ``app`` on ``stack``, started ``phase`` seconds into a wall-clock minute."""

    stack: Stack
    app: App
    phase: int = 0
    every_second: bool = False
    """Step through every second; by default the seconds between two events (in which nothing changes) are taken
    in one step, with the same result."""
    tasks: list[_Task] = field(default_factory=list)
    weights: dict[str, int] = field(default_factory=dict)
    status: str = "IN_PROGRESS"
    stage: str = "SCALE_UP"
    steady_since: int | None = None
    bake_end: int | None = None
    monitor_from: int | None = None
    failures: int = 0
    failed_at: int | None = None
    reason: str = ""
    alarm_state: dict[str, str] = field(default_factory=dict)
    fired: dict[str, int] = field(default_factory=dict)
    first_live_request: int | None = None
    app_ready: int | None = None
    old_gone: int | None = None
    minutes: dict[tuple[str, int], dict[str, _Minute]] = field(default_factory=dict)
    first_minute: int | None = None

    def __post_init__(self) -> None:
        service = self.stack.service
        self.blue = self.stack.target_groups[service.primary_target_group]
        self.green = (
            self.stack.target_groups[service.alternate_target_group] if service.alternate_target_group else None
        )
        if (service.strategy == "BLUE_GREEN") != (self.green is not None):
            raise ValueError("BLUE_GREEN needs an alternate target group, and only BLUE_GREEN has one")
        self.new_group = self.green or self.blue
        self.weights = {self.blue.arn: 100, **({self.green.arn: 0} if self.green else {})}
        self.compiled = {
            a.name: {q.id: compile_expression(q.expression) for q in a.queries if q.expression}
            for a in self.stack.alarms
        }
        self.rolling_bake = ecs_rolling_bake_seconds(self.stack.alarms)

    # -- ECS ------------------------------------------------------------------------------------------------------
    def _launch(self, revision: str, group: TargetGroup, t: int) -> None:
        boot = 0 if revision == "old" else self.app.boot_seconds
        if revision == "old" and t >= 0:
            boot = self.app.rollback_boot_seconds
        breaks = self.app.breaks_after_traffic if revision == "new" else None
        self.tasks.append(_Task(revision, group, t, boot, breaks))

    def _start(self, task: _Task, t: int) -> None:
        # The task's IP is registered during ACTIVATING, before RUNNING, whatever its containers' health
        # (TASK_LIFECYCLE); the ALB starts checking it at once (ALB_HEALTH, ROADMAP_1270).
        task.started = t
        task.alb = "initial"
        task.next_alb_check = t
        # The container's first health check runs one interval after it starts (CONTAINER_HEALTH).
        task.next_container_check = t + self.stack.container.interval
        if task.revision == "new" and self.monitor_from is None:
            self.monitor_from = t

    def _stop(self, task: _Task, t: int) -> None:
        # A stopped task is deregistered: it drains for the deregistration delay, then it is gone (worst case,
        # requests in flight keep it that long) (ALB_HEALTH, "Deregistration delay").
        task.stopped = t
        if task.started is None:
            task.gone = t
        else:
            task.alb = "draining"
            task.gone = t + task.target_group.deregistration_delay

    def _alb_check(self, task: _Task, t: int) -> None:
        group = task.target_group
        task.next_alb_check = t + group.interval  # one check every interval (ALB_HEALTH)
        # A check succeeds only if the target answers within the timeout (ALB_HEALTH, "HealthCheckTimeoutSeconds").
        ok = task.state_at(t) == "up" and self.app.response_seconds < group.timeout
        if ok:
            task.successes, task.failures = task.successes + 1, 0
            # initial or unhealthy -> healthy after HealthyThresholdCount consecutive successes (ALB_HEALTH).
            if task.alb != "healthy" and task.successes >= group.healthy_threshold:
                task.alb = "healthy"
        else:
            task.successes, task.failures = 0, task.failures + 1
            # initial or healthy -> unhealthy after UnhealthyThresholdCount consecutive failures (ALB_HEALTH).
            if task.alb != "unhealthy" and task.failures >= group.unhealthy_threshold:
                task.alb = "unhealthy"

    def _container_check(self, task: _Task, t: int) -> None:
        check = self.stack.container
        assert task.started is not None
        task.next_container_check = t + check.interval
        if task.state_at(t) == "up" and self.app.response_seconds < check.timeout:
            # A success, in the start period or after, makes the container HEALTHY (CONTAINER_HEALTH).
            task.container, task.container_failures, task.container_ever_healthy = "HEALTHY", 0, True
        elif t - task.started >= check.start_period or task.container_ever_healthy:
            # Failures count after the start period, or once a check has succeeded; `retries` in a row make it
            # UNHEALTHY (CONTAINER_HEALTH).
            task.container_failures += 1
            if task.container_failures >= check.retries:
                task.container = "UNHEALTHY"

    def _enforce_health(self, t: int) -> None:
        for task in self.tasks:
            if not task.active or task.started is None:
                continue
            # The scheduler ignores unhealthy ELB and container checks for the grace period after the task first
            # started; after it, it stops such a task and starts another (CREATE_SERVICE,
            # healthCheckGracePeriodSeconds; an UNHEALTHY essential container fails the task, CONTAINER_HEALTH).
            if t < task.started + self.stack.service.grace_period:
                continue
            if task.alb == "unhealthy" or task.container == "UNHEALTHY":
                self._stop(task, t)
                if task.revision == "new" and self.status == "IN_PROGRESS":
                    # Each task of the deployment stopped for failed health checks counts one (BREAKER).
                    self.failures += 1
                    if self.stack.service.circuit_breaker and self.failures >= circuit_breaker_threshold(
                        self.stack.service.desired_count
                    ):
                        self._fail(t, "circuit breaker", self.stack.service.circuit_breaker_rollback)

    def _fail(self, t: int, reason: str, rollback: bool) -> None:
        self.failed_at, self.reason = t, reason
        if not rollback:
            self.status = "FAILED"
            return
        # FAILED -> roll back to the last completed revision (BREAKER, ALARM_FAILURE): its target group gets the
        # traffic, the new tasks are stopped, and previous-revision tasks are started if there are too few.
        self.status = "ROLLBACK_IN_PROGRESS"
        self.weights = {arn: (100 if arn == self.blue.arn else 0) for arn in self.weights}
        for task in self.tasks:
            if task.revision == "new" and task.active:
                self._stop(task, t)

    def _schedule(self, t: int) -> None:
        service = self.stack.service
        desired = service.desired_count
        new = [k for k in self.tasks if k.revision == "new" and k.active]
        old = [k for k in self.tasks if k.revision == "old" and k.active]
        if self.status == "ROLLBACK_IN_PROGRESS":
            for _ in range(desired - len(old)):
                self._launch("old", self.blue, t)
            return
        if self.status != "IN_PROGRESS":
            return
        if service.strategy == "BLUE_GREEN":
            # Blue/green starts the whole green revision next to blue (BLUE_GREEN, SCALE_UP).
            for _ in range(desired - len(new)):
                self._launch("new", self.new_group, t)
            return
        # Rolling: at most maximumPercent of the desired count is RUNNING or PENDING (stopping tasks do not count),
        # and old tasks are stopped only while minimumHealthyPercent stays healthy (CREATE_SERVICE,
        # deploymentConfiguration).
        running = sum(1 for k in self.tasks if k.active)
        room = math.floor(desired * service.maximum_percent / 100) - running
        for _ in range(max(0, min(desired - len(new), room))):
            self._launch("new", self.new_group, t)
        healthy_new = sum(1 for k in new if k.healthy)
        stoppable = len(old) + healthy_new - math.ceil(desired * service.minimum_healthy_percent / 100)
        for task in old[: max(0, min(stoppable, len(old) + len(new) - desired))]:
            self._stop(task, t)

    def _progress(self, t: int) -> Outcome | None:
        service = self.stack.service
        alive = [k for k in self.tasks if k.gone is None or k.gone > t]
        new_healthy = sum(1 for k in alive if k.revision == "new" and k.healthy)
        old_left = [k for k in alive if k.revision == "old"]
        if self.old_gone is None and self.status == "IN_PROGRESS" and not old_left:
            self.old_gone = t
        if self.status == "ROLLBACK_IN_PROGRESS":
            old_healthy = sum(1 for k in old_left if k.healthy)
            if old_healthy >= service.desired_count and not any(k.revision == "new" for k in alive):
                # The provider's waiter returns "Deployment failed" on ROLLBACK_SUCCESSFUL (TF_ECS_WAITER).
                return self._outcome("ROLLED_BACK", t)
            return None
        if self.status == "FAILED":
            return self._outcome("FAILED", t)  # STOPPED / FAILED: the waiter errors (TF_ECS_WAITER)
        if service.strategy == "BLUE_GREEN":
            return self._progress_blue_green(t, new_healthy, old_left)
        # Rolling: steady once the new revision runs healthy at the desired count and the old tasks are gone; ECS
        # watches the alarms for a bake time after that, then the deployment is COMPLETED (ALARM_FAILURE).
        steady = new_healthy >= service.desired_count and not old_left
        if not steady:
            self.steady_since = None
            return None
        if self.steady_since is None:
            self.steady_since = t
        if t >= self.steady_since + (self.rolling_bake if service.alarms_enabled else 0):
            return self._outcome("COMPLETED", t)
        return None

    def _progress_blue_green(self, t: int, new_healthy: int, old_left: list[_Task]) -> Outcome | None:
        service = self.stack.service
        assert self.green is not None
        if self.stage == "SCALE_UP" and new_healthy >= service.desired_count:
            # Green healthy in its target group: TEST_TRAFFIC_SHIFT, then PRODUCTION_TRAFFIC_SHIFT moves production
            # to green (modelled as instant; there is no test traffic), then BAKE_TIME (BLUE_GREEN).
            self.weights = {self.blue.arn: 0, self.green.arn: 100}
            self.stage, self.bake_end = "BAKE_TIME", t + service.bake_time_minutes * 60
        if self.stage == "BAKE_TIME" and self.bake_end is not None and t >= self.bake_end:
            # CLEAN_UP: blue is stopped (BLUE_GREEN).
            self.stage = "CLEAN_UP"
            for task in old_left:
                if task.active:
                    self._stop(task, t)
        if self.stage == "CLEAN_UP" and not old_left:
            return self._outcome("COMPLETED", t)
        return None

    # -- ALB and CloudWatch ------------------------------------------------------------------------------------------
    def _route(self, t: int, seconds: int) -> None:
        """Production traffic from ``t`` for ``seconds`` in which nothing changes, and the ALB's per-second samples
        of each target group."""
        for arn, group in self.stack.target_groups.items():
            members = [k for k in self.tasks if k.target_group is group and k.alb != "unused" and k.alb != "draining"]
            requests = errors = 0.0
            weight = self.weights.get(arn, 0)
            if weight:
                # Requests go to healthy targets; when a group has only unhealthy ones it routes to all of them
                # ("fail open") (ALB_HEALTH). Draining targets get no new requests.
                targets = [k for k in members if k.alb == "healthy"] or [k for k in members if k.alb == "unhealthy"]
                share = REQUESTS_PER_SECOND * weight / 100 / len(targets) if targets else 0.0
                for task in targets:
                    if task.first_traffic is None:
                        task.first_traffic = t
                        if task.revision == "new" and self.first_live_request is None:
                            self.first_live_request = t
                    requests += share  # RequestCount counts requests for which the ALB chose a target (ALB_METRICS)
                    if task.state_at(t) == "broken":
                        errors += share  # a broken app answers 5xx: HTTPCode_Target_5XX_Count
            # Only `unhealthy` targets count; `initial` and `draining` do not (ALB_METRICS, TARGET_HEALTH_API).
            unhealthy = float(sum(1 for k in members if k.alb == "unhealthy"))
            healthy = float(sum(1 for k in members if k.alb == "healthy"))
            key = (group.arn_suffix, (t + self.phase) // 60)
            minute = self.minutes.get(key)
            if minute is None:
                minute = self.minutes[key] = {metric: _Minute() for metric in METRICS}
            minute["UnHealthyHostCount"].add(unhealthy, seconds)
            minute["HealthyHostCount"].add(healthy, seconds)
            minute["RequestCount"].add(requests, seconds)
            minute["HTTPCode_Target_5XX_Count"].add(errors, seconds)

    def _datapoint(self, alarm: Alarm, minute: int) -> Value:
        assert self.first_minute is not None
        minute = max(minute, self.first_minute)  # before the run: the steady state of its first full minute
        env: dict[str, Value] = {}
        for query in alarm.queries:
            if query.metric_name is None:
                continue
            assert query.target_group is not None
            assert query.stat is not None
            found = self.minutes.get((query.target_group, minute), {}).get(query.metric_name)
            value = found.stat(query.stat) if found else None
            # ALB metrics are published per 60 s; the request counts only when nonzero (ALB_METRICS).
            if query.metric_name not in ALWAYS_REPORTED and not value:
                value = None
            env[query.id] = value
        compiled = self.compiled[alarm.name]
        for query in alarm.queries:  # expressions in the order given; each may use the ones before
            if query.expression is not None:
                env[query.id] = compiled[query.id](env)
        [returned] = [q.id for q in alarm.queries if q.return_data]
        return env[returned]

    def _evaluate(self, alarm: Alarm, minute: int) -> str:
        """The alarm's state after the period ending at ``minute`` (exclusive), as CloudWatch evaluates it."""
        if alarm.period != 60:
            raise NotImplementedError("the model has 60-second periods only")
        # Once a period, over the last EvaluationPeriods datapoints; ALARM when DatapointsToAlarm of them breach
        # (ALARM_EVALUATION, PUT_METRIC_ALARM).
        window = [self._datapoint(alarm, m) for m in range(minute - alarm.evaluation_periods, minute)]
        compare: Callable[[float], bool] = {
            "GreaterThanThreshold": lambda v: v > alarm.threshold,
            "GreaterThanOrEqualToThreshold": lambda v: v >= alarm.threshold,
            "LessThanThreshold": lambda v: v < alarm.threshold,
            "LessThanOrEqualToThreshold": lambda v: v <= alarm.threshold,
        }[alarm.comparison]
        missing = alarm.treat_missing_data
        present = [v for v in window if v is not None]
        if missing in ("ignore", "missing") and not present:
            # All missing: "ignore" keeps the state, "missing" goes to INSUFFICIENT_DATA (ALARM_EVALUATION).
            return self.alarm_state.get(alarm.name, "OK") if missing == "ignore" else "INSUFFICIENT_DATA"
        breaching = sum(1 for v in present if compare(v))
        if missing == "breaching":
            breaching += len(window) - len(present)  # missing datapoints breach (ALARM_EVALUATION)
        # notBreaching: missing datapoints are good; ignore/missing: judged on the datapoints there are.
        return "ALARM" if breaching >= alarm.datapoints_to_alarm else "OK"

    def _watch_alarms(self, t: int) -> None:
        minute = (t + self.phase) // 60
        for alarm in self.stack.alarms:
            state = self._evaluate(alarm, minute)
            self.alarm_state[alarm.name] = state
            if state != "ALARM":
                continue
            self.fired.setdefault(alarm.name, t)
            service = self.stack.service
            watching = self.monitor_from is not None and t >= self.monitor_from
            if service.strategy == "BLUE_GREEN" and self.stage == "CLEAN_UP":
                watching = False  # blue/green watches the alarms through the bake time (BLUE_GREEN)
            if watching and service.alarms_enabled and self.status == "IN_PROGRESS":
                # An alarm in ALARM while ECS watches it fails the deployment (ALARM_FAILURE).
                self._fail(t, f"alarm {alarm.name}", service.alarms_rollback)

    # -- The run ---------------------------------------------------------------------------------------------------
    def _outcome(self, result: str, t: int) -> Outcome:
        return Outcome(
            result=result,
            reason=self.reason,
            done=t,
            failed_at=self.failed_at,
            first_live_request=self.first_live_request,
            alarms=dict(self.fired),
            tasks_launched=sum(1 for k in self.tasks if k.revision == "new"),
            app_ready=self.app_ready,
            old_gone=self.old_gone,
        )

    def run(self) -> Outcome:
        """Simulate from one minute before the deployment until ``pulumi up`` returns or times out."""
        service = self.stack.service
        start = -60 - self.phase  # one whole wall-clock minute of the previous revision serving
        self.first_minute = (start + self.phase) // 60
        for _ in range(service.desired_count):
            self._launch("old", self.blue, start)
        for task in self.tasks:
            task.started, task.alb, task.container, task.container_ever_healthy = start, "healthy", "HEALTHY", True
            task.next_alb_check = task.next_container_check = start
        t = start
        while t <= service.wait_timeout:
            if t >= 0 and (t + self.phase) % 60 == 0:
                self._watch_alarms(t)
            for task in self.tasks:
                if task.started is None and t >= task.launched + LAUNCH_TO_REGISTRATION:
                    self._start(task, t)
                if task.started is None or (task.gone is not None and task.gone <= t):
                    continue
                if task.revision == "new" and self.app_ready is None and task.state_at(t) != "booting":
                    self.app_ready = t
                if task.alb != "draining" and t >= task.next_alb_check:
                    self._alb_check(task, t)
                if task.active and t >= task.next_container_check:
                    self._container_check(task, t)
            if t >= 0:
                self._enforce_health(t)
                if self.status == "IN_PROGRESS" and any(k.revision == "new" and k.healthy for k in self.tasks):
                    # "Once a service deployment has one or more successfully running tasks, the failed task count
                    # resets to zero" (BREAKER).
                    self.failures = 0
                self._schedule(t)
                done = self._progress(t)
                if done is not None:
                    return done
            following = min(t + 1 if self.every_second else self._next_event(t), service.wait_timeout + 1)
            self._route(t, following - t)
            t = following
        return self._outcome("TIMED_OUT", service.wait_timeout)

    def _next_event(self, t: int) -> int:
        """The next second at which anything can change: between events, every second is like ``t``."""
        minute_end = (t + self.phase) // 60 * 60 + 60 - self.phase  # CloudWatch evaluates the alarms
        events = [minute_end, 0 if t < 0 else minute_end]
        grace = self.stack.service.grace_period
        for task in self.tasks:
            if task.started is None:
                events.append(task.launched + LAUNCH_TO_REGISTRATION)
                continue
            if task.gone is not None:
                events.append(task.gone)
            if task.alb != "draining":
                events.append(task.next_alb_check)
            if task.active:
                events += [task.next_container_check, task.started + grace]
            if task.boot is not None:
                events.append(task.started + task.boot)
            if task.first_traffic is not None and task.breaks_after_traffic is not None:
                events.append(task.first_traffic + task.breaks_after_traffic)
        if self.steady_since is not None:
            events.append(self.steady_since + self.rolling_bake)
        if self.bake_end is not None:
            events.append(self.bake_end)
        return min(e for e in events if e > t)
