// The payouts dashboard: reads the platform backend's summary and recent tips, renders them, and
// reloads when the backend's event stream says a tip or batch finished (pushed from Tipstream's
// webhooks: nothing is polled). No framework; markup is built from escaped strings.
import { barChartSvg } from './chart.js';
import {
  bucketLabel,
  escapeHtml,
  formatCount,
  formatMsat,
  formatTime,
  msatToChartSats,
  shortPubkey,
} from './format.js';

/** After a failed load, the next try (the only timer: figures are otherwise reloaded on events). */
const RETRY_MS = 5_000;
const main = document.getElementById('dashboard');
const base = new URL(main.dataset.backend.replace(/\/*$/, '/'), document.baseURI);
const tipStatusBase = new URL(main.dataset.tipStatus.replace(/\/*$/, '/'), document.baseURI);
const $ = (id) => document.getElementById(id);

const WINDOWS = { '24h': 'the last 24 hours', '7d': 'the last 7 days', '30d': 'the last 30 days' };
const params = new URLSearchParams(location.search);
let windowName = Object.hasOwn(WINDOWS, params.get('window')) ? params.get('window') : '24h';
let names = {};
let tipsCursor;
let extraPages = false;

const getJson = async (path) => {
  let response;
  try {
    response = await fetch(new URL(path, base), { headers: { accept: 'application/json' } });
  } catch (error) {
    throw new Error(`the platform backend could not be reached (${error.message})`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok)
    throw new Error(body.detail || `the platform backend answered ${response.status}`);
  return body;
};

const who = (pubkey) => {
  const name = names[pubkey];
  const key = `<code title="${escapeHtml(pubkey)}">${escapeHtml(shortPubkey(pubkey))}</code>`;
  return name ? `<span class="name">${escapeHtml(name)}</span> ${key}` : key;
};

const STATUS = {
  SUCCEEDED: ['paid', 'ok'],
  FAILED: ['failed', 'bad'],
  SENDING: ['paying', 'busy'],
  RECEIVED: ['queued', 'busy'],
  ACCEPTED: ['accepted', 'busy'],
};
const badge = (status) => {
  const [text, tone] = STATUS[status] ?? [status, 'busy'];
  return `<span class="badge ${tone}" data-status="${escapeHtml(status)}">${escapeHtml(text)}</span>`;
};
// The backend's status token of the tip (its id alone opens nothing there).
const tipLink = (tip) =>
  `<a href="${escapeHtml(new URL(encodeURIComponent(tip.statusToken), tipStatusBase).href)}">${tip.status === 'SUCCEEDED' ? 'receipt' : 'status'}<span class="visually-hidden"> of tip ${escapeHtml(tip.tipId)}</span></a>`;
const empty = (columns, text) =>
  `<tr><td colspan="${columns}" class="empty">${escapeHtml(text)}</td></tr>`;

const renderSummary = (summary) => {
  $('platform').textContent = summary.platformId;
  const { totals } = summary;
  $('total-paid').textContent = formatMsat(totals.succeeded.msat);
  $('total-succeeded').textContent = formatCount(totals.succeeded.count);
  $('total-failed').textContent =
    `${formatCount(totals.failed.count)} (${formatMsat(totals.failed.msat)})`;
  $('total-pending').textContent =
    `${formatCount(totals.pending.count)} (${formatMsat(totals.pending.msat)})`;
  $('total-fees').textContent = formatMsat(totals.succeeded.feeMsat);
  // Fees come out of the budget too: paid tips count their fee, tips in flight their fee limit.
  $('budget-today').textContent = summary.budget
    ? `${formatMsat(summary.budget.usedMsat)} of ${formatMsat(summary.budget.limitMsat)}, fees included`
    : '…';

  const bucket = summary.window.bucket;
  const per = bucket === 'hour' ? 'hour' : 'day';
  $('chart-heading').textContent = `Sats paid per ${per}, ${WINDOWS[summary.window.name]}`;
  const points = summary.series.map((point) => ({
    label: bucketLabel(point.start, bucket),
    value: msatToChartSats(point.paidMsat),
    title: `${bucketLabel(point.start, bucket)}: ${formatMsat(point.paidMsat)} in ${formatCount(point.tips)} tip${point.tips === 1 ? '' : 's'}`,
  }));
  const peak = points.reduce((best, point) => (point.value > best.value ? point : best), {
    value: 0,
    label: '',
  });
  $('chart').innerHTML = barChartSvg(points, {
    title: `Sats paid per ${per}`,
    description: `${formatMsat(totals.succeeded.msat)} paid in ${WINDOWS[summary.window.name]}${peak.value > 0 ? `; most in ${peak.label} (${peak.value.toLocaleString('en-US')} sats)` : ''}.`,
    labelEvery: Math.ceil(points.length / 8),
  });
  $('series-table').tBodies[0].innerHTML = summary.series
    .map(
      (point) =>
        `<tr><td>${escapeHtml(formatTime(point.start))}</td><td class="num">${escapeHtml(formatMsat(point.paidMsat))}</td><td class="num">${formatCount(point.tips)}</td></tr>`,
    )
    .join('');

  $('recipients').tBodies[0].innerHTML =
    summary.recipients
      .map(
        (r) =>
          `<tr data-recipient="${escapeHtml(r.recipient)}"><th scope="row">${who(r.recipient)}</th><td class="num paid">${escapeHtml(formatMsat(r.paidMsat))}</td><td class="num">${formatCount(r.succeeded)}</td><td class="num">${formatCount(r.failed)}</td><td class="num">${formatCount(r.pending)}</td><td>${escapeHtml(formatTime(r.lastPaidAt) || '\u2014')}</td></tr>`,
      )
      .join('') || empty(6, `No tips in ${WINDOWS[summary.window.name]}.`);
  const hidden = summary.recipientCount - summary.recipients.length;
  $('recipients-more').hidden = hidden <= 0;
  $('recipients-more').textContent = `and ${formatCount(hidden)} more recipients with less paid`;

  $('batches').innerHTML =
    summary.runningBatches
      .map((batch) => {
        const done = batch.counts.succeeded + batch.counts.failed;
        const id = `batch-${escapeHtml(batch.batchId)}`;
        return `<li data-batch="${escapeHtml(batch.batchId)}"><span id="${id}">${escapeHtml(batch.kind)} <code>${escapeHtml(batch.batchId)}</code>, accepted ${escapeHtml(formatTime(batch.acceptedAt))}</span>
<progress max="${batch.counts.total}" value="${done}" aria-labelledby="${id}"></progress>
<span>${formatCount(done)} of ${formatCount(batch.counts.total)} done: ${formatCount(batch.counts.succeeded)} paid (${escapeHtml(formatMsat(batch.msat.succeeded))}), ${formatCount(batch.counts.failed)} failed, ${formatCount(batch.counts.pending)} pending</span>${
          // Rows the submitting request did not record: only a retry of that request adds them.
          batch.status === 'INCOMPLETE'
            ? ` <span class="badge bad" data-status="INCOMPLETE">incomplete</span> <span class="note">${escapeHtml(batch.incomplete?.detail ?? 'rows not recorded: retry the request with the same Idempotency-Key')}</span>`
            : ''
        }</li>`;
      })
      .join('') || '<li class="empty">No batch is being paid right now.</li>';

  $('failures').tBodies[0].innerHTML =
    summary.failures
      .map(
        (f) =>
          `<tr><td>${escapeHtml(formatTime(f.failedAt))}</td><td>${who(f.recipient)}</td><td class="num">${escapeHtml(formatMsat(f.amountMsat))}</td><td>${escapeHtml(f.reason ?? f.code ?? 'unknown')}${f.code ? ` <code>${escapeHtml(f.code)}</code>` : ''}</td></tr>`,
      )
      .join('') || empty(4, `No failures in ${WINDOWS[summary.window.name]}.`);
  if (summary.truncated) {
    $('updated').textContent +=
      ' (the window holds more tips than a summary reads: figures are partial)';
  }
};

const tipRows = (tips) =>
  tips
    .map(
      (tip) =>
        `<tr data-tip="${escapeHtml(tip.tipId)}"><td>${escapeHtml(formatTime(tip.createdAt))}</td><td>${who(tip.recipient)}</td><td class="num">${escapeHtml(formatMsat(tip.amountMsat))}</td><td>${badge(tip.status)}${tip.failure ? ` <span class="reason">${escapeHtml(tip.failure.reason)}</span>` : ''}</td><td>${tipLink(tip)}</td></tr>`,
    )
    .join('');

const renderTips = (page, append) => {
  const body = $('tips').tBodies[0];
  if (append) body.insertAdjacentHTML('beforeend', tipRows(page.tips));
  else body.innerHTML = tipRows(page.tips) || empty(5, 'No tips yet.');
  tipsCursor = page.next;
  $('more-tips').hidden = !tipsCursor;
};

let loading;
let again = false;
let retry;
/** Loads and renders; `again` asks for one more load after one already under way (a new window). */
const load = async ({ first = false, queue = false } = {}) => {
  if (loading) {
    again ||= queue;
    return loading;
  }
  loading = (async () => {
    try {
      // Both at once: the page is ready when the slower of the two has answered.
      const [summary, tips] = await Promise.all([
        getJson(`summary?window=${encodeURIComponent(windowName)}`),
        extraPages ? undefined : getJson('tips?limit=25'),
      ]);
      names = { ...summary.names, ...tips?.names };
      // Before renderSummary, which adds to it when the figures are partial.
      $('updated').textContent = `Updated ${formatTime(summary.window.to)}`;
      renderSummary(summary);
      if (tips) renderTips(tips, false);
      $('error').hidden = true;
      if (first) {
        performance.mark('tipstream:dashboard-ready');
        window.tipstreamDashboard = { readyMs: Math.round(performance.now()) };
      }
      document.documentElement.dataset.state = 'ready';
    } catch (error) {
      $('error').hidden = false;
      $('error').textContent =
        `Could not load the dashboard: ${error.message}. Retrying every ${RETRY_MS / 1000} s.`;
      if (first) document.documentElement.dataset.state = 'error';
      clearTimeout(retry);
      retry = setTimeout(() => void load(), RETRY_MS);
    } finally {
      loading = undefined;
      if (again) {
        again = false;
        void load();
      }
    }
  })();
  return loading;
};

for (const button of document.querySelectorAll('[data-window]')) {
  button.setAttribute('aria-pressed', String(button.dataset.window === windowName));
  button.addEventListener('click', () => {
    windowName = button.dataset.window;
    for (const other of document.querySelectorAll('[data-window]'))
      other.setAttribute('aria-pressed', String(other === button));
    const url = new URL(location.href);
    url.searchParams.set('window', windowName);
    history.replaceState(null, '', url);
    // A load under way is for the window shown before the click: load again once it is in.
    void load({ queue: true });
  });
}

$('more-tips').addEventListener('click', async () => {
  if (!tipsCursor) return;
  try {
    const page = await getJson(tipsCursor.replace(/^.*\/tips\?/, 'tips?'));
    names = { ...names, ...page.names };
    extraPages = true;
    renderTips(page, true);
  } catch (error) {
    $('error').hidden = false;
    $('error').textContent = `Could not load older tips: ${error.message}`;
  }
});

void load({ first: true });
// A change pushed by the backend (a tip paid or failed, a batch completed): load the figures again
// (changes arriving during a load ask for one more load after it, not one each). After a dropped
// connection EventSource reconnects by itself; the reload on reopening catches what happened
// while it was away.
const changes = new EventSource(new URL('events', base));
let opened = false;
changes.addEventListener('open', () => {
  if (opened) void load({ queue: true });
  opened = true;
});
changes.addEventListener('change', () => void load({ queue: true }));
