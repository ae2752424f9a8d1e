import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderTable } from '../format.js';
import { type ActionRunner, parsePositiveInt } from './common.js';

interface Endpoint {
  endpointId: string;
  url: string;
  enabled: boolean;
  createdAt: string;
  secret?: string;
}
interface Delivery {
  deliveryId: string;
  eventType: string;
  subject: string;
  status: string;
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  updatedAt: string;
}

const showEndpoint = (ctx: CliContext, endpoint: Endpoint) => {
  if (ctx.json) return ctx.printJson(endpoint);
  ctx.print(`endpoint  ${endpoint.endpointId}  ${endpoint.enabled ? 'enabled' : 'disabled'}`);
  ctx.print(`url       ${endpoint.url}`);
  if (endpoint.secret) {
    ctx.print(`secret    ${endpoint.secret}  (verify webhook-signature with it; shown only now)`);
  }
};

const add = async (ctx: CliContext, url: string) => {
  const api = await ctx.api();
  showEndpoint(
    ctx,
    (await api.post<Endpoint>('/v1/webhook-endpoints', { body: JSON.stringify({ url }) })).body,
  );
};

const list = async (ctx: CliContext) => {
  const api = await ctx.api();
  const { endpoints } = (await api.get<{ endpoints: Endpoint[] }>('/v1/webhook-endpoints')).body;
  if (ctx.json) return ctx.printJson({ endpoints });
  if (endpoints.length === 0)
    return ctx.print('no webhook endpoints: add one with `tipstream webhooks add <url>`');
  ctx.print(
    renderTable(
      ['endpoint', 'url', 'state', 'created'],
      endpoints.map((e) => [e.endpointId, e.url, e.enabled ? 'enabled' : 'disabled', e.createdAt]),
    ),
  );
};

const change =
  (action: 'rotate-secret' | 'disable' | 'enable') =>
  async (ctx: CliContext, endpointId: string) => {
    const api = await ctx.api();
    showEndpoint(
      ctx,
      (
        await api.post<Endpoint>(
          `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}/${action}`,
          { body: '' },
        )
      ).body,
    );
  };

const remove = async (ctx: CliContext, endpointId: string) => {
  const api = await ctx.api();
  const { body } = await api.delete<{ deleted: string }>(
    `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}`,
  );
  if (ctx.json) return ctx.printJson(body);
  ctx.print(`deleted ${body.deleted}`);
};

const deliveries = async (
  ctx: CliContext,
  options: { status?: string; endpoint?: string; limit: string },
) => {
  const api = await ctx.api();
  const query = new URLSearchParams({ limit: String(parsePositiveInt(options.limit, '--limit')) });
  if (options.status) query.set('status', options.status.toUpperCase());
  if (options.endpoint) query.set('endpointId', options.endpoint);
  const { deliveries: rows } = (
    await api.get<{ deliveries: Delivery[] }>(`/v1/webhook-deliveries?${query}`)
  ).body;
  if (ctx.json) return ctx.printJson({ deliveries: rows });
  if (rows.length === 0) return ctx.print('no deliveries');
  ctx.print(
    renderTable(
      ['delivery', 'event', 'status', 'attempts', 'last answer', 'updated'],
      rows.map((d) => [
        d.deliveryId,
        d.eventType,
        d.status,
        String(d.attempts),
        d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '').slice(0, 40),
        d.updatedAt,
      ]),
    ),
  );
};

const resend = async (ctx: CliContext, deliveryId: string | undefined) => {
  const api = await ctx.api();
  const { body } = await api.post<{ resent: string[] }>('/v1/webhook-deliveries/resend', {
    body: JSON.stringify(deliveryId ? { deliveryId } : {}),
  });
  if (ctx.json) return ctx.printJson(body);
  ctx.print(
    body.resent.length === 0
      ? 'nothing to resend (only dead-lettered deliveries are resent)'
      : `resent ${body.resent.length}: ${body.resent.join(', ')}`,
  );
};

/** `tipstream webhooks …`: the platform's webhook endpoints and deliveries. */
export const registerWebhooks = (program: Command, run: ActionRunner) => {
  const webhooks = program
    .command('webhooks')
    .description(
      'webhook endpoints and deliveries (Standard Webhooks: tip.succeeded, tip.failed, batch.completed)',
    );
  webhooks
    .command('add')
    .description('register an endpoint; prints its signing secret once')
    .argument('<url>', 'https URL on a public address')
    .action(run(add));
  webhooks.command('list').description("this platform's endpoints").action(run(list));
  webhooks
    .command('rotate-secret')
    .description('a new signing secret (the old one stops at once)')
    .argument('<endpointId>')
    .action(run(change('rotate-secret')));
  webhooks
    .command('disable')
    .argument('<endpointId>')
    .action(run(change('disable')));
  webhooks
    .command('enable')
    .argument('<endpointId>')
    .action(run(change('enable')));
  webhooks.command('delete').argument('<endpointId>').action(run(remove));
  webhooks
    .command('deliveries')
    .description('recent deliveries with status, attempts and the last answer')
    .option('--status <status>', 'pending, delivered or dead')
    .option('--endpoint <endpointId>', "only this endpoint's")
    .option('-n, --limit <count>', 'how many', '25')
    .action(run(deliveries));
  webhooks
    .command('resend')
    .description('send a dead-lettered delivery again, or every one (no id)')
    .argument('[deliveryId]')
    .action(run(resend));
};
