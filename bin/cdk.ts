#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addCsPulse } from '../lib/app.js';

/** The CDK app (cdk.json runs it): `npx cdk synth`, `npx cdk deploy -c stage=prod`. See docs/deploy.md. */
addCsPulse(new App());
