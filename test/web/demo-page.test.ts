import { describe, expect, it } from 'vitest';
import { renderDemoPage } from '../../web/backend/demo-page.js';

describe('renderDemoPage', () => {
  const carol = `03${'c7'.repeat(32)}`;

  it('embeds the tip button per creator as a platform would, with no inline script', () => {
    const html = renderDemoPage({
      platformId: 'local-dev',
      creators: [
        { name: 'Carol', pubkey: carol, note: 'accepts keysend', acceptsKeysend: true },
        { name: 'Erin', pubkey: `02${'f1'.repeat(32)}`, note: 'no keysend', acceptsKeysend: false },
      ],
    });
    expect(html).toContain(
      `<script src="/tip-button.js" data-recipient="${carol}" data-name="Carol" data-backend="/tip" data-amounts="100,1000,5000"></script>`,
    );
    expect(html).toContain('<article class="creator warning" data-creator="Erin"');
    // Every script has a src: the page runs under script-src 'self'.
    expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
  });

  it('escapes what it is given', () => {
    const html = renderDemoPage({
      platformId: '<b>x</b>',
      creators: [{ name: 'Mal"lory <3', pubkey: carol, note: '<img src=x>', acceptsKeysend: true }],
    });
    expect(html).not.toContain('<img src=x>');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('data-name="Mal&quot;lory &lt;3"');
    expect(html).toContain('id="creator-mal-lory-3"');
  });

  it('says so when the stack has nobody to tip (a hosted LND)', () => {
    expect(renderDemoPage({ platformId: 'p', creators: [] })).toMatch(/no creator nodes/);
  });
});
