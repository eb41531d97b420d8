import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readCsPulseConfig } from './config.js';
import { CsPulseStack } from './cs-pulse-stack.js';

/**
 * Puts cs-pulse into an app: the validated context, one stack named after the stage, and the AWS Solutions checks
 * of cdk-nag, so every `cdk synth` and `cdk deploy` stops on a finding nobody acknowledged. bin/cdk.ts and the infra
 * tests both build the app through here.
 */
export function addCsPulse(app: App): CsPulseStack {
  const config = readCsPulseConfig(app);
  const stack = new CsPulseStack(app, `CsPulse-${config.stage}`, {
    config,
    description: `cs-pulse (${config.stage}): customer-success webhooks, lake and KPIs`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
