/** A creator on the demo stream page. */
export interface DemoCreator {
  name: string;
  pubkey: string;
  /** One line under the name. */
  note: string;
  /** False for a node that refuses keysend: tips to it fail, to show a failure. */
  acceptsKeysend: boolean;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/**
 * The demo stream page `npm start` serves: a stream with creator cards, each with the tip button
 * embedded exactly as a platform would embed it. No inline script (it runs under a strict CSP).
 */
export const renderDemoPage = ({
  creators,
  platformId,
}: {
  creators: DemoCreator[];
  platformId: string;
}): string => {
  const cards = creators
    .map((creator) => {
      const name = escapeHtml(creator.name);
      const id = `creator-${creator.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
      return `      <article class="creator${creator.acceptsKeysend ? '' : ' warning'}" data-creator="${name}" aria-labelledby="${id}">
        <div class="who">
          <span class="avatar" aria-hidden="true">${escapeHtml(creator.name.slice(0, 1).toUpperCase())}</span>
          <div>
            <h3 id="${id}">${name}</h3>
            <p class="key">${escapeHtml(creator.note)}<br><code>${escapeHtml(creator.pubkey)}</code></p>
          </div>
        </div>
        <script src="/tip-button.js" data-recipient="${escapeHtml(creator.pubkey)}" data-name="${name}" data-backend="/tip" data-amounts="100,1000,5000"></script>
      </article>`;
    })
    .join('\n');
  const body =
    cards ||
    '      <p class="note">This stack has no creator nodes (a hosted LND is configured): there is nobody to tip here.</p>';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Regtest Live · Tipstream demo stream</title>
  <link rel="stylesheet" href="/site.css">
</head>
<body>
  <header class="top">
    <h1>Regtest Live</h1>
    <p class="meta">A demo stream page of the platform <code>${escapeHtml(platformId)}</code> · <a href="/dashboard">Payouts dashboard</a></p>
  </header>
  <main class="stream">
    <section aria-labelledby="stream-title">
      <div class="player">
        <span class="live">LIVE</span>
        <h2 id="stream-title">Carol and Dave build a Lightning node, live</h2>
        <p>Tip a creator: real keysend payments on the local regtest network, settled in seconds.</p>
      </div>
      <p class="flow">How a tip travels: this page's tip button → the platform's example backend
        (<code>POST /tip</code>, which signs the request with the platform secret; the secret never
        reaches this page) → Tipstream's API → the tips queue → the payer → a keysend payment from
        the operator's node (alice) via bob → the creator's node. The button then follows the tip to
        its signed receipt.</p>
    </section>
    <section aria-labelledby="creators-title" class="creators">
      <h2 id="creators-title">Tip the creators</h2>
${body}
    </section>
  </main>
</body>
</html>
`;
};
