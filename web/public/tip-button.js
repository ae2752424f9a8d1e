/*
 * Tipstream tip button: a Lightning tip widget a platform embeds next to a creator.
 *
 *   <script src="https://platform.example/tip-button.js"
 *     data-recipient="<creator node pubkey, 66 hex>" data-name="Carol"
 *     data-backend="/tip" data-amounts="100,1000,5000"></script>
 *
 * It renders right after its own script tag (or into `data-target`, a CSS selector), lets the
 * viewer pick an amount and add a message, POSTs the tip to the platform's backend (never to
 * Tipstream: the backend holds the signing secret), then follows the tip over Server-Sent Events
 * at the backend's `eventsUrl` (no polling: the backend pushes each update the moment Tipstream's
 * webhook reaches it) until it is paid or failed, and shows its receipt.
 *
 * Other attributes: data-message="false" (no message field).
 * Theme with CSS custom properties on the page: --tipstream-accent, --tipstream-font.
 * No framework, no external requests; works under `script-src 'self'`.
 */
(() => {
  const script = document.currentScript;
  if (!(script instanceof HTMLScriptElement)) {
    console.error('tip-button.js must be loaded by a classic <script src> tag, not as a module');
    return;
  }

  const STYLE = `
:host { all: initial; display: block; font: 15px/1.4 var(--tipstream-font, system-ui, sans-serif); color: #1b1b1f; }
form { border: 1px solid #c9c9d3; border-radius: 10px; padding: 12px 14px; background: #fff; max-width: 26rem; }
h2 { font-size: 1rem; margin: 0 0 8px; }
fieldset { border: 0; margin: 0 0 8px; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
legend { font-weight: 600; margin-bottom: 4px; padding: 0; }
.amount { position: relative; }
.amount input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.amount span { display: inline-block; padding: 6px 10px; border: 1px solid #8a8a99; border-radius: 999px; cursor: pointer; }
.amount input:checked + span { background: var(--tipstream-accent, #5b3cc4); border-color: var(--tipstream-accent, #5b3cc4); color: #fff; }
.amount input:focus-visible + span, button:focus-visible, input[type=text]:focus-visible, summary:focus-visible, a:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
label.message { display: block; font-weight: 600; margin: 4px 0 2px; }
input[type=text] { box-sizing: border-box; width: 100%; padding: 6px 8px; border: 1px solid #8a8a99; border-radius: 6px; font: inherit; }
button { margin-top: 10px; font: inherit; font-weight: 600; padding: 8px 14px; border: 0; border-radius: 6px; background: var(--tipstream-accent, #5b3cc4); color: #fff; cursor: pointer; }
button[disabled] { opacity: 0.6; cursor: progress; }
.status { margin: 10px 0 0; min-height: 1.4em; }
.status[data-tone=ok] { color: #11672f; font-weight: 600; }
.status[data-tone=bad] { color: #a1101a; font-weight: 600; }
.receipt { margin-top: 8px; font-size: 0.9rem; }
.receipt p { margin: 4px 0; }
pre { max-height: 14rem; overflow: auto; background: #f4f4f8; padding: 8px; border-radius: 6px; font-size: 0.75rem; white-space: pre-wrap; word-break: break-all; }
a { color: #3d24a3; }
.error { border: 1px solid #a1101a; color: #a1101a; padding: 8px; border-radius: 6px; }
`;

  const data = script.dataset;
  const host = document.createElement('div');
  host.className = 'tipstream-tip-button';
  const target = data.target ? document.querySelector(data.target) : null;
  if (target) target.append(host);
  else script.after(host);
  const root = host.attachShadow({ mode: 'open' });
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function') {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement('style');
    style.textContent = STYLE;
    root.append(style);
  }

  /** Builds an element: el('p', { class: 'x', text: 'hi' }, child…). */
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === false) continue;
      if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    node.append(...children);
    return node;
  };

  const fail = (message) => {
    console.error(`Tipstream tip button: ${message}`);
    root.append(
      el('p', { class: 'error', role: 'alert', text: `Tip button not set up: ${message}` }),
    );
  };

  const recipient = (data.recipient ?? '').trim();
  if (!/^0[23][0-9a-fA-F]{64}$/.test(recipient)) {
    fail(
      'data-recipient must be the creator node\u2019s public key (66 hex characters, 02… or 03…)',
    );
    return;
  }
  const amounts = (data.amounts ?? '100,1000,5000').split(',').map((part) => Number(part.trim()));
  if (amounts.length === 0 || amounts.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    fail('data-amounts must be whole sats separated by commas, e.g. "100,1000,5000"');
    return;
  }
  const backend = (data.backend ?? '/tip').replace(/\/+$/, '');
  const name = data.name?.trim() || `${recipient.slice(0, 8)}\u2026`;
  const withMessage = data.message !== 'false';
  const uid = `ts${Math.random().toString(36).slice(2, 9)}`;
  const sats = (n) => `${Number(n).toLocaleString('en-US')} sat${Number(n) === 1 ? '' : 's'}`;
  // msat as exact sats text ("1.5"), like format.js's formatMsat: this script loads alone, no modules.
  const feeSatsText = (msat) => {
    const value = BigInt(msat);
    const whole = (value / 1000n).toLocaleString('en-US');
    const rest = value % 1000n;
    return rest === 0n ? whole : `${whole}.${String(rest).padStart(3, '0').replace(/0+$/, '')}`;
  };

  // ------------------------------------------------------------------------------- the form
  const title = el('h2', { id: `${uid}-title`, text: `Tip ${name}` });
  const choices = amounts.map((amount, index) =>
    el(
      'label',
      { class: 'amount' },
      el('input', {
        type: 'radio',
        name: 'amount',
        value: amount,
        checked: index === Math.min(1, amounts.length - 1),
      }),
      el('span', { text: sats(amount) }),
    ),
  );
  const amountSet = el('fieldset', {}, el('legend', { text: 'Amount' }), ...choices);
  const messageInput = el('input', {
    type: 'text',
    id: `${uid}-message`,
    name: 'message',
    maxlength: 200,
    autocomplete: 'off',
    placeholder: 'Say thanks (optional)',
  });
  const button = el('button', { type: 'submit' });
  const status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const receiptBox = el('div', { class: 'receipt', hidden: true });
  const form = el(
    'form',
    { 'aria-labelledby': title.id, novalidate: true },
    title,
    amountSet,
    ...(withMessage
      ? [
          el('label', { class: 'message', for: messageInput.id, text: 'Message (optional)' }),
          messageInput,
        ]
      : []),
    button,
    status,
    receiptBox,
  );
  root.append(form);

  const chosenAmount = () => Number(form.querySelector('input[name=amount]:checked')?.value);
  const labelButton = () => {
    button.textContent = `Send ${sats(chosenAmount())} tip`;
  };
  amountSet.addEventListener('change', labelButton);
  labelButton();

  /** Shows where the tip is; the host element's data-state lets the page (and tests) follow it. */
  const show = (state, text, tone) => {
    host.dataset.state = state;
    status.textContent = text;
    if (tone) status.dataset.tone = tone;
    else delete status.dataset.tone;
  };
  show('idle', '');

  const newKey = () =>
    typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
          b.toString(16).padStart(2, '0'),
        ).join('');

  /** JSON from the backend; a problem's detail becomes the error message. */
  const request = async (url, init) => {
    let response;
    try {
      response = await fetch(url, {
        ...init,
        headers: {
          accept: 'application/json',
          ...(init?.body ? { 'content-type': 'application/json' } : {}),
        },
        credentials: 'same-origin',
      });
    } catch (error) {
      // No status: the caller may retry (the request may not have arrived).
      throw new Error(`the platform could not be reached (${error.message})`);
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.detail || `the platform answered ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return body;
  };

  const hexToBytes = (hex) =>
    Uint8Array.from(hex.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
  /** The browser's own check: the preimage the recipient revealed hashes to the payment hash. */
  const preimageMatches = async (receipt) => {
    if (!globalThis.crypto?.subtle) return undefined; // only in secure contexts (https, localhost)
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', hexToBytes(receipt.preimage)),
    );
    return (
      Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') === receipt.paymentHash
    );
  };

  const showReceipt = async (tip, statusUrl) => {
    const signed = tip.receipt;
    const receipt = signed.receipt;
    const preimage = await preimageMatches(receipt);
    const verification = tip.verification ?? { signature: 'unchecked' };
    const signatureText =
      verification.signature === 'valid'
        ? `Signature valid: signed by the operator key ${verification.operatorPubkey.slice(0, 12)}\u2026`
        : verification.signature === 'invalid'
          ? `Signature INVALID: ${verification.reason}`
          : 'Signature not checked by the platform';
    const preimageText =
      preimage === undefined
        ? 'Preimage not checked (this browser needs https for it)'
        : preimage
          ? 'Preimage matches the payment hash: the creator\u2019s node settled it'
          : 'Preimage does NOT match the payment hash';
    const verified = verification.signature === 'valid' && preimage !== false;
    receiptBox.replaceChildren(
      el('p', {
        class: 'verification',
        'data-verified': verified ? 'true' : 'false',
        text: `${verified ? '\u2714' : '\u26a0'} ${signatureText}. ${preimageText}.`,
      }),
      el(
        'details',
        {},
        el('summary', { text: 'Receipt (signed JSON)' }),
        el('pre', { text: JSON.stringify(signed, null, 2) }),
      ),
      el(
        'p',
        {},
        el('a', { href: statusUrl, target: '_blank', rel: 'noopener', text: 'Open the receipt' }),
      ),
    );
    receiptBox.hidden = false;
  };

  /**
   * Follows the tip over the backend's event stream until it is paid or failed; gives up (with a
   * link) after ten minutes. Every update is pushed: the stream's first event is the tip's status
   * when it opened (the backend reads it once per connection, in case it was paid before), the
   * rest come from Tipstream's webhooks. Nothing is polled.
   */
  const follow = (eventsUrl, statusUrl, amount) =>
    new Promise((resolve) => {
      let source;
      let retry;
      let failures = 0;
      let last = '';
      const finish = () => {
        clearTimeout(giveUp);
        clearTimeout(retry);
        source?.close();
        resolve();
      };
      const giveUp = setTimeout(() => {
        finish();
        show(
          'pending',
          'Still in flight. It will be paid or refunded; check the receipt link later.',
        );
        receiptBox.replaceChildren(el('a', { href: statusUrl, text: 'Tip status' }));
        receiptBox.hidden = false;
      }, 10 * 60_000);
      const onTip = async (event) => {
        failures = 0;
        const tip = JSON.parse(event.data);
        // How the button learned it (`webhook`: pushed; `status`: read when the stream opened).
        host.dataset.from = tip.from;
        if (tip.status === last) return;
        last = tip.status;
        if (tip.status === 'SUCCEEDED') {
          finish();
          const fee = tip.receipt?.receipt?.feeMsat ?? '0';
          show(
            'paid',
            `Paid: ${sats(amount)} reached ${name} (routing fee ${feeSatsText(fee)} sats).`,
            'ok',
          );
          await showReceipt(tip, statusUrl);
          return;
        }
        if (tip.status === 'FAILED') {
          finish();
          show(
            'failed',
            `Not paid: ${tip.failure?.reason ?? 'the payment failed'}. No sats left your budget.`,
            'bad',
          );
          return;
        }
        show(
          tip.status === 'SENDING' ? 'paying' : 'accepted',
          tip.status === 'SENDING'
            ? `Paying ${name} over Lightning\u2026`
            : tip.status === 'RECEIVED'
              ? 'Queued with the payer\u2026'
              : 'Tip accepted, waiting for the payer\u2026',
        );
      };
      const connect = () => {
        source = new EventSource(eventsUrl);
        source.addEventListener('tip', (event) => void onTip(event));
        // The backend could not read the tip's status just now: its webhook will still come.
        source.addEventListener('problem', (event) => {
          const { detail } = JSON.parse(event.data);
          show(
            host.dataset.state,
            `Could not check the tip just now: ${detail}. Still following it\u2026`,
            'bad',
          );
          last = '';
        });
        source.addEventListener('error', () => {
          show(
            host.dataset.state,
            'Lost the connection to the platform. Reconnecting\u2026 (the tip goes on without us)',
            'bad',
          );
          last = '';
          // A dropped stream is reconnected by EventSource itself; an answer that is not a stream
          // (the platform failing) closes it for good: connect again after a growing pause.
          if (source.readyState === EventSource.CLOSED) {
            failures += 1;
            retry = setTimeout(connect, Math.min(30_000, 500 * 2 ** failures));
          }
        });
      };
      connect();
    });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    const amount = chosenAmount();
    const message = withMessage ? messageInput.value.trim() : '';
    const body = JSON.stringify({
      recipientPubkey: recipient,
      amountSats: amount,
      ...(message ? { message } : {}),
      idempotencyKey: newKey(),
    });
    button.disabled = true;
    receiptBox.hidden = true;
    delete host.dataset.tipId;
    show('sending', `Sending ${sats(amount)} to ${name}\u2026`);
    try {
      let accepted;
      try {
        accepted = await request(backend, { method: 'POST', body });
      } catch (error) {
        if (error.status) throw error;
        // The request may not have arrived: the same idempotency key cannot tip twice.
        accepted = await request(backend, { method: 'POST', body });
      }
      host.dataset.tipId = accepted.tipId;
      show('accepted', 'Tip accepted, waiting for the payer\u2026');
      // The backend's statusUrl is relative to the backend, which may live on another origin.
      const base = new URL(backend, document.baseURI);
      const statusUrl = new URL(accepted.statusUrl, base).href;
      await follow(new URL(accepted.eventsUrl, base).href, statusUrl, amount);
    } catch (error) {
      show('error', `Not sent: ${error.message}`, 'bad');
    } finally {
      button.disabled = false;
      if (withMessage && host.dataset.state === 'paid') messageInput.value = '';
    }
  });
})();
