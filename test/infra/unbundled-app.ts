import { App } from 'aws-cdk-lib';
import { buildApp } from '../../infra/app.js';

/**
 * The Tipstream app without asset bundling (esbuild and `npm install` would run per synth): for
 * tests that read templates. The bundles themselves are measured by bundle.test.ts.
 */
export const buildUnbundledApp = (context: Record<string, unknown> = {}) =>
  buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));
