import { getPayout } from './get-payout.js';
import { getTip } from './get-tip.js';
import { listTips } from './list-tips.js';
import { postPayout } from './post-payout.js';
import { postSplit } from './post-split.js';
import { postTip } from './post-tip.js';
import { recipientPayouts } from './recipient-payouts.js';
import { routeKey } from './route.js';
import { summary } from './summary.js';
import { getWebhookDeliveries, postWebhookResend } from './webhook-deliveries.js';
import {
  deleteWebhookEndpointRoute,
  getWebhookEndpoints,
  postWebhookEndpoint,
  postWebhookEndpointAction,
} from './webhook-endpoints.js';

/** Every route of the API, in the document's order. */
export const API_ROUTES = [
  postTip,
  listTips,
  getTip,
  postSplit,
  postPayout,
  getPayout,
  recipientPayouts,
  summary,
  postWebhookEndpoint,
  getWebhookEndpoints,
  postWebhookEndpointAction,
  deleteWebhookEndpointRoute,
  getWebhookDeliveries,
  postWebhookResend,
] as const;

/** The routes as API Gateway names them (`POST /v1/tips`); the matcher and body limits use them. */
export const ROUTE_KEYS = API_ROUTES.map(({ route }) => routeKey(route));
