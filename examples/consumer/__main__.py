"""library-infra-consumer: watches a library-infra stack through its outputs, read with a StackReference."""

import pulumi
import pulumi_aws as aws

from monitoring import ServiceMonitoring, ServiceMonitoringArgs

config = pulumi.Config()
library = pulumi.StackReference("library", stack_name=config.require("libraryStack"))

monitoring = ServiceMonitoring(
    "library",
    ServiceMonitoringArgs(
        region=aws.get_region_output().region,
        cluster_name=library.require_output("clusterName"),
        service_name=library.require_output("serviceName"),
        alb_arn=library.require_output("albArn"),
        target_group_arn=library.require_output("targetGroupArn"),
        alarm_topic_arn=config.get("alarmTopicArn") or None,
    ),
)

pulumi.export("dashboardName", monitoring.dashboard.dashboard_name)
pulumi.export("unhealthyHostsAlarmArn", monitoring.unhealthy_hosts.arn)
pulumi.export("noHealthyHostsAlarmArn", monitoring.no_healthy_hosts.arn)
pulumi.export("serviceUrl", library.require_output("url"))
