import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createDashboard, CONTENT_SECURITY_POLICY } from '@auditkit/dashboard';
import type { ApiRequest, ApiResponse, DashboardHandler, Viewer } from '@auditkit/api';

/** The handler the API calls for `/` and `/assets/*`: what it serves, with which headers, and what it refuses to be told. */

const viewer: Viewer = { name: 'auditor', scope: undefined, scopeParams: undefined };
const get = (path: string, url?: string): ApiRequest => ({ method: 'GET', path, query: '', headers: {}, url });
/** The handler answers at once; the API's type allows a promise, so the tests take the answer as the API does. */
const call = (handler: DashboardHandler, request: ApiRequest): ApiResponse | undefined => handler(request, viewer) as ApiResponse | undefined;

describe('createDashboard()', () => {
  it('serves the page shell under a strict CSP, with its script and stylesheet by hashed name', () => {
    const page = call(createDashboard(), get('/', '/admin/audit/'))!;
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(
      page.headers['content-security-policy'],
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
    );
    assert.equal(CONTENT_SECURITY_POLICY, page.headers['content-security-policy']);
    const script = /<script type="module" src="assets\/(app\.[0-9a-f]{12}\.js)"><\/script>/.exec(page.body!)![1]!;
    const style = /<link rel="stylesheet" href="assets\/(app\.[0-9a-f]{12}\.css)">/.exec(page.body!)![1]!;
    // No inline script or style: the only <script> has a src.
    assert.equal(page.body!.match(/<script/g)!.length, 1);
    assert.doesNotMatch(page.body!, /<style|\sstyle=|\son[a-z]+=/);

    const js = call(createDashboard(), get(`/assets/${script}`))!;
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'private, max-age=31536000, immutable');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    const css = call(createDashboard(), get(`/assets/${style}`))!;
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.match(css.body!, /\.uplot/);
  });

  it('answers nothing for an asset it does not have (the API then says 404)', () => {
    const handler = createDashboard();
    assert.equal(call(handler, get('/assets/app.js')), undefined);
    assert.equal(call(handler, get('/assets/../../package.json')), undefined);
    assert.equal(call(handler, get('/assets/')), undefined);
  });

  it('sends the mount without its slash to the mount with it, never to another site', () => {
    const handler = createDashboard();
    const to = (url: string): string | undefined => call(handler, get('/', url))?.headers.location;
    assert.equal(to('/admin/audit'), 'audit/');
    assert.equal(to('/admin/audit?source=alice&range=1h'), 'audit/?source=alice&range=1h');
    assert.equal(call(handler, get('/', '/admin/audit'))!.status, 308);
    assert.equal(to('/admin/audit/'), undefined);
    assert.equal(to('/admin/audit/?x=//evil.example'), undefined);
    // A path that looks like another host still gives a relative location on the same origin.
    for (const url of ['//evil.example', '/a//evil.example', '/%2F%2Fevil.example']) {
      assert.equal(new URL(to(url)!, `http://app.test${url}`).origin, 'http://app.test', url);
    }
    assert.equal(to('/a/\\evil.example'), undefined);
  });

  it('writes the title and the mask into the page as text', () => {
    const page = call(createDashboard({ title: '<script>alert(1)</script> & "co"', mask: '[redacted]' }), get('/', '/a/'))!;
    assert.match(page.body!, /<title>&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;co&quot;<\/title>/);
    assert.match(page.body!, /<meta name="auditkit-mask" content="\[redacted\]">/);
  });

  it('refuses bad options at construction, naming the option and the fix', () => {
    assert.throws(() => createDashboard({ titel: 'x' } as never), /titel.*did you mean title/);
    assert.throws(() => createDashboard({ title: '' }), /options\.title: must be a non-empty string/);
    assert.throws(() => createDashboard({ mask: 42 } as never), /options\.mask/);
    assert.throws(() => createDashboard('x' as never), /must be an object/);
  });

  it('loads with require as well as import', () => {
    const required = createRequire(import.meta.url)('@auditkit/dashboard') as { createDashboard: typeof createDashboard };
    assert.equal(typeof required.createDashboard, 'function');
    assert.equal(call(required.createDashboard(), get('/', '/a/'))!.status, 200);
  });

  it('the browser code never parses markup or code from strings', () => {
    const dir = new URL('../browser/', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(['"`]/, file);
    }
  });
});

describe('docs/dashboard.md and the package agree', () => {
  const doc = readFileSync(new URL('../../../docs/dashboard.md', import.meta.url), 'utf8');

  it('documents every option and the exact Content-Security-Policy', () => {
    for (const name of ['title', 'mask']) assert.match(doc, new RegExp('^\\| `' + name + '` \\|', 'm'), name);
    assert.ok(doc.replace(/\s+/g, ' ').includes(CONTENT_SECURITY_POLICY), 'the CSP as sent');
  });

  it('shows the three screenshots it names, which are committed', () => {
    for (const shot of ['list', 'detail', 'dark']) {
      assert.match(doc, new RegExp(`\\(dashboard/${shot}\\.png\\)`));
      assert.ok(readFileSync(new URL(`../../../docs/dashboard/${shot}.png`, import.meta.url)).length > 10_000, shot);
    }
  });
});
