import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole, IRole } from 'aws-cdk-lib/aws-iam';
import { addCsPulse } from '../../../lib/app.js';
import type { CsPulseStack } from '../../../lib/cs-pulse-stack.js';
import { PROJECT_ROOT } from '../../../lib/lambda-function.js';

/** The context of cdk.json (feature flags, defaults), so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface TestAppOptions {
  /** Bundle the Lambdas with esbuild. @default false: CDK's own `aws:cdk:bundling-stacks` switch skips it */
  readonly bundle?: boolean;
  /**
   * Run CDK's built-in CloudFormation validation (a WebAssembly rules engine that takes seconds to start in each
   * process). @default false: only the whole-app check (cdk-nag.test.ts) runs it, once
   */
  readonly validateTemplates?: boolean;
}

/** Cloud assemblies made by the tests so far; support/cleanup.ts removes them after each test file. */
const outdirs: string[] = [];

export function removeTestOutdirs(): void {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
}

/** An app as `cdk synth` builds it (cdk.json's context), minus the slow steps a construct test does not need. */
export function testApp(context: Record<string, unknown> = {}, options: TestAppOptions = {}): App {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cs-pulse-cdk-'));
  outdirs.push(outdir);
  return new App({
    outdir,
    builtinCloudFormationValidation: options.validateTemplates ?? false,
    context: {
      ...cdkJsonContext(),
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
}

/** A bare stack in a test app, to test one construct on its own. */
export function testStack(context: Record<string, unknown> = {}): Stack {
  return new Stack(testApp(context), 'Test');
}

/** The whole cs-pulse app, cdk-nag included, and its template. */
export function synthCsPulse(
  context: Record<string, unknown> = {},
  options: TestAppOptions = {},
): {
  app: App;
  stack: CsPulseStack;
  template: Template;
} {
  const app = testApp(context, options);
  const stack = addCsPulse(app);
  return { app, stack, template: Template.fromStack(stack) };
}

let shared: ReturnType<typeof synthCsPulse> | undefined;

/**
 * The default cs-pulse app (cdk.json's context, no bundling), synthesized once and shared by every test that only
 * reads it: construct tests find their construct in it instead of building a stack of their own.
 */
export function sharedCsPulse(): ReturnType<typeof synthCsPulse> {
  shared ??= synthCsPulse();
  return shared;
}

/** Every IAM policy statement in a template (or only those of one role), with its actions as an array. */
export function policyStatements(
  template: Template,
  role?: IRole,
): { Action: string[]; Resource: unknown; Effect: string; Condition?: unknown }[] {
  const roleId = role ? Stack.of(role).getLogicalId(role.node.defaultChild as CfnRole) : undefined;
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter(
      (policy) => roleId === undefined || JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
    )
    .flatMap((policy) =>
      (
        policy.Properties.PolicyDocument.Statement as {
          Action: string | string[];
          Resource: unknown;
          Effect: string;
          Condition?: unknown;
        }[]
      ).map((statement) => ({
        ...statement,
        Action: Array.isArray(statement.Action) ? statement.Action : [statement.Action],
      })),
    );
}
