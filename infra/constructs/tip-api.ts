import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface TipApiProps {
  /** Serves every route: the handler routes and authenticates each request itself. */
  handler: IFunction;
  /** Requests/s, per stage (every route). */
  throttle: { rateLimit: number; burstLimit: number };
  logRetention: RetentionDays;
}

/** One JSON line per request in the access logs (`$context` variables of HTTP APIs). */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  method: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  latency: '$context.responseLatency',
  platform: '$context.requestHeader.tipstream-platform',
} as const;

/**
 * The HTTP API: every route to one function, on a `$default` stage with access logs (to
 * `<id>AccessLogs`, beside it) and throttling. The stage keeps the id HttpApi gives its default
 * stage, so its logical ID (and the API's URL) do not change.
 */
export class TipApi extends HttpApi {
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: TipApiProps) {
    super(scope, id, {
      defaultIntegration: new HttpLambdaIntegration(`${id}Integration`, props.handler),
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(scope, `${id}AccessLogs`, { retention: props.logRetention });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
  }
}
