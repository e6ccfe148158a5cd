import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { FRAMEWORKS } from '../../api/test/apps.js';
import { launchBrowser } from './browser.js';
import { mountDashboard, type MountedDashboard } from './mounts.js';
import { dashboardScenario } from './scenario.js';

/** The dashboard in Chromium, mounted by auditLog(...) on Express 5, Fastify 5 and Koa 3. */

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
});

for (const framework of FRAMEWORKS) {
  describe(`the dashboard mounted on ${framework}`, () => {
    let mounted: MountedDashboard;
    before(async () => {
      mounted = await mountDashboard(framework);
    });
    after(async () => {
      await mounted.close();
    });

    it('sends the mount without its trailing slash to the page, keeping the query', async () => {
      const res = await fetch(`${mounted.app.url}/admin/audit?source=alice`, { headers: { cookie: 'session=auditor' }, redirect: 'manual' });
      assert.equal(res.status, 308);
      assert.equal(res.headers.get('location'), 'audit/?source=alice');
      assert.equal(new URL(res.headers.get('location')!, `${mounted.app.url}/admin/audit`).href, `${mounted.pageUrl}?source=alice`);
    });

    it('does everything the issue asks, in a real browser', async (t) => {
      const origin = new URL(mounted.pageUrl).origin;
      const bobLine = (await mounted.store.get('01900000-0000-7000-8000-000000000014', []))!;
      await dashboardScenario(t, browser, {
        openUrl: mounted.pageUrl,
        pageUrl: mounted.pageUrl,
        context: {},
        withAuth: (url) => url,
        bobLine,
        signIn: async ({ context }) => {
          await context.addCookies([{ name: 'session', value: 'auditor', url: origin }]);
        },
        makeRecord: async () => {
          const res = await fetch(`${mounted.app.url}/configs/global_zone`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"mqtt":{"max_packet_size":"1MB"}}' });
          await res.text();
        },
        refuse: async () => {
          mounted.revoke();
          return (await fetch(`${mounted.pageUrl}records`, { headers: { cookie: 'session=auditor' } })).status;
        },
      });
      // Live and export clients that left are normal: nothing reached the application's error handling.
      assert.deepEqual(mounted.app.errors.map(String), []);
    });

    it('refuses the page itself to a viewer authorize refuses: 401 without a session, 403 for mallory', async () => {
      const none = await fetch(mounted.pageUrl);
      const mallory = await fetch(mounted.pageUrl, { headers: { cookie: 'session=mallory' } });
      const asset = await fetch(`${mounted.pageUrl}assets/app.js`);
      assert.equal(none.status, 401);
      assert.equal(mallory.status, 403);
      assert.equal(asset.status, 401);
      assert.deepEqual(await none.json(), { code: 'unauthenticated', message: 'Sign in to read the audit log.' });
    });

  });
}
