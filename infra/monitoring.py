"""CloudWatch alarms and a dashboard for the pipeline."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge

PERIOD = Duration.minutes(1)
ERRORS_PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    """Alarms and a dashboard.

    * every dead-letter queue: any visible message (> 0) alarms;
    * every function: any error in a 5-minute period alarms;
    * the page queue: the oldest message older than ``page_queue_age_threshold`` alarms.

    Every alarm (and its recovery) notifies ``topic``: the SNS topic named by
    ``alarm_topic_arn``, or else one created here, which accepts only TLS and only
    CloudWatch alarms of this account and region as publishers (and the account's own
    principals, through IAM), and is encrypted with ``encryption_key`` when there is one.
    ``alarm_email`` subscribes an address to it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        page_queue: sqs.IQueue,
        range_queue: sqs.IQueue,
        page_queue_age_threshold: Duration,
        alarm_topic_arn: str,
        alarm_email: str = "",
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cloudwatch.Alarm] = []

        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{name}DeadLetterDepth",
                _visible(queue),
                threshold=0,
                description=f"doctables: messages in the {name} dead-letter queue",
            )
        for name, function in functions.items():
            self._alarm(
                f"{name}Errors",
                _errors(function),
                threshold=0,
                description=f"doctables: the {name} function reported errors",
            )
        self._alarm(
            "PageQueueAge",
            _oldest(page_queue),
            threshold=page_queue_age_threshold.to_seconds(),
            evaluation_periods=3,
            description="doctables: the page queue is falling behind",
        )

        self.topic: sns.ITopic = (
            sns.Topic.from_topic_arn(self, "AlarmTopic", alarm_topic_arn)
            if alarm_topic_arn
            else self._alarm_topic(encryption_key)
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        for alarm in self.alarms:
            alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
            alarm.add_ok_action(cw_actions.SnsAction(self.topic))

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24, height=4)
        )
        work_queues = {"Page": page_queue, "Range": range_queue}
        age_line = cloudwatch.HorizontalAnnotation(
            value=page_queue_age_threshold.to_seconds(), label="page queue alarm"
        )
        self.dashboard.add_widgets(
            _graph(
                "Dead-letter queues: visible messages",
                {name: _visible(queue) for name, queue in dead_letter_queues.items()},
            ),
            _graph(
                "Work queues: age of oldest message (s)",
                {name: _oldest(queue) for name, queue in work_queues.items()},
                annotations=[age_line],
            ),
            _graph(
                "Work queues: visible messages",
                {name: _visible(queue) for name, queue in work_queues.items()},
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "Function errors",
                {name: _errors(function) for name, function in functions.items()},
            ),
            _graph(
                "Function invocations",
                {
                    name: function.metric_invocations(
                        period=ERRORS_PERIOD, statistic=cloudwatch.Stats.SUM
                    )
                    for name, function in functions.items()
                },
            ),
            _graph(
                "Function duration p95 (ms)",
                {
                    name: function.metric_duration(
                        period=ERRORS_PERIOD, statistic=cloudwatch.Stats.p(95)
                    )
                    for name, function in functions.items()
                },
            ),
        )

    def _alarm_topic(self, encryption_key: kms.IKey | None) -> sns.Topic:
        stack = Stack.of(self)
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="doctables alarms",
            enforce_ssl=True,
            master_key=encryption_key,
        )
        # CloudWatch publishes alarm notifications as its service principal. The topic policy
        # (which CDK creates for enforce_ssl and which replaces SNS's default one) lets it
        # publish for alarms of this account and region only (no confused deputy).
        alarms_here = stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        from_alarms_here = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": alarms_here},
        }
        cloudwatch_principal = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[cloudwatch_principal],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=from_alarms_here,
            )
        )
        if encryption_key is not None:
            # Publishing to an encrypted topic needs the publisher's use of the key (AWS: "Enable
            # compatibility between event sources from AWS services and encrypted topics");
            # the same conditions bind it to this account's alarms.
            encryption_key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudWatchAlarmsToPublishToTheEncryptedAlarmTopic",
                    principals=[cloudwatch_principal],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],  # in a key policy, "*" is this key
                    conditions=from_alarms_here,
                )
            )
        else:
            acknowledge(
                topic,
                "AwsSolutions-SNS2",
                "encryption=managed: SNS encrypts only with KMS, CloudWatch alarms cannot publish "
                "to a topic under the AWS-managed aws/sns key, and a customer-managed key is what "
                "encryption=kms is for. The topic carries alarm state changes (alarm name, metric, "
                "threshold), no document data, and accepts TLS only.",
            )
        return topic

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> None:
        self.alarms.append(
            cloudwatch.Alarm(
                self,
                construct_id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=evaluation_periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
        )


def _visible(queue: sqs.IQueue) -> cloudwatch.Metric:
    return queue.metric_approximate_number_of_messages_visible(
        period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
    )


def _oldest(queue: sqs.IQueue) -> cloudwatch.Metric:
    return queue.metric_approximate_age_of_oldest_message(
        period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
    )


def _errors(function: lambda_.IFunction) -> cloudwatch.Metric:
    return function.metric_errors(period=ERRORS_PERIOD, statistic=cloudwatch.Stats.SUM)


def _graph(
    title: str,
    metrics: Mapping[str, cloudwatch.Metric],
    *,
    annotations: list[cloudwatch.HorizontalAnnotation] | None = None,
) -> cloudwatch.GraphWidget:
    """A one-third-width graph; each metric labelled with its key."""
    return cloudwatch.GraphWidget(
        title=title,
        left=[metric.with_(label=label) for label, metric in metrics.items()],
        left_annotations=annotations,
        width=8,
    )
