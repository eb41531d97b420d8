import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CsPulseFunction, type CsPulseFunctionProps } from './lambda-function.js';

export interface ScheduledJobProps extends CsPulseFunctionProps {
  /** Attempts after the first, by EventBridge Scheduler (delivery) and by Lambda (the run): 0 to 2. @default 2 */
  readonly retryAttempts?: number;
  /** How long a run may wait for its retries before it is dead-lettered: 1 minute to 6 hours. @default 1 hour */
  readonly maxEventAge?: Duration;
  /** What happens to the dead-letter queue when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A Lambda that EventBridge Scheduler runs on a schedule, with nowhere for a failure to vanish: Scheduler retries a
 * delivery it could not make, Lambda retries a run that threw (the invocation is asynchronous), and after the
 * retries either of them puts the event in one encrypted dead-letter queue, which Operations alarms on.
 */
export class ScheduledJob extends Construct {
  readonly function: CsPulseFunction;
  readonly deadLetterQueue: Queue;
  readonly schedules: Schedule[] = [];
  /** The role EventBridge Scheduler invokes the function with. */
  readonly schedulerRole: Role;
  private readonly retryAttempts: number;
  private readonly maxEventAge: Duration;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    this.retryAttempts = props.retryAttempts ?? 2;
    this.maxEventAge = props.maxEventAge ?? Duration.hours(1);
    // The same numbers go to Lambda's async invoke config and to Scheduler's retry policy: the narrower range of the
    // two (Lambda's) is the one both can take.
    if (!Number.isInteger(this.retryAttempts) || this.retryAttempts < 0 || this.retryAttempts > 2)
      throw new Error(
        `ScheduledJob ${id}: retryAttempts must be 0, 1 or 2 (Lambda retries a run at most twice)`,
      );
    const ageSeconds = this.maxEventAge.toSeconds();
    if (ageSeconds < 60 || ageSeconds > 6 * 3600)
      throw new Error(`ScheduledJob ${id}: maxEventAge must be between 1 minute and 6 hours`);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of a schedule and of its function; a queue behind it would ' +
        'only move the same messages one step further.',
    });

    this.function = new CsPulseFunction(this, 'Function', props);
    this.function.configureAsyncInvoke({
      retryAttempts: this.retryAttempts,
      maxEventAge: this.maxEventAge,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    // One role for this job's schedules, assumable by Scheduler on behalf of this account only.
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Lets EventBridge Scheduler run ${props.description}`,
    });
    const functionId = Stack.of(this).getLogicalId(this.function.node.defaultChild as CfnFunction);
    Validations.of(this.schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason:
        'CDK grants invoking the function and its versions (ARN:*); the role can invoke this one function and ' +
        'nothing else.',
    });
  }

  /** Runs the function on a schedule (`rate(…)` or `cron(…)`, UTC) with this event. */
  addSchedule(id: string, expression: string, event: Record<string, unknown>, description: string): Schedule {
    const schedule = new Schedule(this, id, {
      schedule: ScheduleExpression.expression(expression),
      description,
      target: new LambdaInvoke(this.function, {
        input: ScheduleTargetInput.fromObject(event),
        retryAttempts: this.retryAttempts,
        maxEventAge: this.maxEventAge,
        deadLetterQueue: this.deadLetterQueue,
        role: this.schedulerRole,
      }),
    });
    this.schedules.push(schedule);
    return schedule;
  }
}
