import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSDOM } from 'jsdom';
import pryv from 'pryv';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { freePort } from '../helpers/free-port.js';

/**
 * The service assets as the `pryv` SDK's browser code uses them (issue #11): `ServiceAssets`,
 * `Browser.LoginButton` and `AuthController`, unchanged, in jsdom, against the API app listening on
 * loopback with real PostgreSQL and rqlited behind it.
 */
let t: ApiTestApp;
let base: string;
let serviceInfoUrl: string;
let dom: JSDOM;
const opened: string[] = [];
const saved: Record<string, PropertyDescriptor | undefined> = {};
const BROWSER_GLOBALS = ['window', 'document', 'location', 'navigator', 'confirm'] as const;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}/`;
  t = await createApiTestApp({ HOMECORE_PLATFORM__PUBLIC_URL: base });
  await t.app.listen({ port, host: '127.0.0.1' });
  serviceInfoUrl = `${base}reg/service/info`;
  dom = new JSDOM('<!DOCTYPE html><html><head></head><body><span id="login-button"></span></body></html>', { url: 'http://localhost/app/' });
  // The SDK's popup: record the auth page URL instead of opening a window.
  dom.window.open = (url?: string | URL) => {
    opened.push(String(url));
    return null;
  };
  const browser: Record<(typeof BROWSER_GLOBALS)[number], unknown> = {
    window: dom.window,
    document: dom.window.document,
    location: dom.window.location,
    navigator: { userAgent: 'Safari' },
    confirm: () => true,
  };
  for (const name of BROWSER_GLOBALS) {
    saved[name] = Object.getOwnPropertyDescriptor(globalThis, name);
    Object.defineProperty(globalThis, name, { value: browser[name], configurable: true, writable: true });
  }
});

afterAll(async () => {
  for (const name of BROWSER_GLOBALS) {
    const d = saved[name];
    if (d === undefined) Reflect.deleteProperty(globalThis, name);
    else Object.defineProperty(globalThis, name, d);
  }
  dom?.window.close();
  await t?.close();
});

const head = (): HTMLHeadElement => dom.window.document.head;
const links = (): { rel: string; href: string }[] => [...head().querySelectorAll('link')].map((l) => ({ rel: l.rel, href: l.href }));

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res;
}

describe('pryv.ServiceAssets', () => {
  it('service info points at this core, and the index it serves has every key the SDK reads', async () => {
    const service = new pryv.Service(serviceInfoUrl);
    const info = await service.info();
    expect(info.assets?.definitions).toBe(`${base}www/assets/index.json`);
    const assets = await service.assets();
    if (assets === null) throw new Error('no assets');
    expect(assets.get('name')).toBe('homecore');
    expect(assets.getUrl('favicon:default:url')).toBe(`${base}www/assets/favicon.ico`);
    expect(assets.getUrl('css:default:url')).toBe(`${base}www/assets/css/default.css`);
    for (const key of ['html', 'css', 'messages', 'logo']) {
      expect(assets.getUrl(`lib-js:buttonSignIn:${key}`)).toMatch(new RegExp(`^${base}www/assets/`));
    }
  });

  it('setAllDefaults() puts the favicon and the service CSS in the page, and both load', async () => {
    const assets = await new pryv.Service(serviceInfoUrl).assets();
    if (assets === null) throw new Error('no assets');
    await assets.setAllDefaults();
    const icon = links().find((l) => l.rel === 'shortcut icon');
    const css = links().find((l) => l.rel === 'stylesheet' && l.href.endsWith('/css/default.css'));
    expect(icon?.href).toBe(`${base}www/assets/favicon.ico`);
    expect(css?.href).toBe(`${base}www/assets/css/default.css`);
    const ico = await fetchOk(icon?.href ?? '');
    expect(ico.headers.get('content-type')).toBe('image/x-icon');
    expect(Buffer.from(await ico.arrayBuffer()).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
    expect((await fetchOk(css?.href ?? '')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('the sign-in button: HTML with the text slot, CSS, messages in every shipped language, logo', async () => {
    const assets = await new pryv.Service(serviceInfoUrl).assets();
    if (assets === null) throw new Error('no assets');
    expect(await assets.loginButtonGetHTML()).toContain('id="pryv-access-btn-text"');
    const messages = await assets.loginButtonGetMessages();
    for (const key of ['LOADING', 'ERROR', 'LOGIN', 'SIGNOUT_CONFIRM']) {
      expect(Object.keys(messages[key] as Record<string, string>).sort()).toEqual(['de', 'en', 'es', 'fr', 'it']);
    }
    await assets.loginButtonLoadCSS();
    const css = await fetchOk(assets.getUrl('lib-js:buttonSignIn:css'));
    const text = await css.text();
    // The logo is referenced relative to the stylesheet, so it resolves wherever the assets live.
    const logoRef = /url\("([^"]+)"\)/.exec(text)?.[1] ?? '';
    const logo = await fetchOk(new URL(logoRef, css.url).toString());
    expect(logo.headers.get('content-type')).toBe('image/svg+xml');
    expect(await logo.text()).toContain('<svg');
  });
});

async function personalUser(): Promise<TestUser> {
  return t.createUser();
}

/** What the auth page does once the user signed in and accepted: an app access, then ACCEPTED on the poll URL. */
async function acceptAsAuthPage(authUrl: string, user: TestUser): Promise<void> {
  const q = new URL(authUrl).searchParams;
  const poll = q.get('poll') ?? '';
  const pending = await fetch(poll);
  expect(pending.status).toBe(201);
  const request = (await pending.json()) as { requestingAppId: string; requestedPermissions: unknown[] };
  const created = await fetch(`${base}${user.username}/accesses`, {
    method: 'POST',
    headers: { authorization: user.token, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'app', name: request.requestingAppId, permissions: request.requestedPermissions }),
  });
  expect(created.status).toBe(201);
  const { access } = (await created.json()) as { access: { token: string } };
  const accepted = await fetch(poll, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'ACCEPTED', username: user.username, token: access.token }),
  });
  expect(accepted.status).toBe(200);
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('pryv.Browser.LoginButton and AuthController', () => {
  it('renders the button from the assets, signs in through the access-request flow, and the token works', async () => {
    const states: string[] = [];
    const settings = {
      spanButtonID: 'login-button',
      onStateChange: (s: { status: string }) => void states.push(s.status),
      authRequest: {
        requestingAppId: 'assets-test-app',
        languageCode: 'fr',
        requestedPermissions: [{ streamId: 'diary', defaultName: 'Diary', level: 'read' as const }],
      },
    };
    const service = new pryv.Service(serviceInfoUrl);
    await service.info();
    const button = new pryv.Browser.LoginButton(settings, service);
    await button.init();

    const span = dom.window.document.getElementById('login-button');
    expect(span?.querySelector('#pryv-access-btn')).not.toBeNull();
    expect(dom.window.document.getElementById('pryv-access-btn-text')?.textContent).toBe('Login: homecore');
    expect(links().some((l) => l.href === `${base}www/assets/lib-js/button-sign-in.css`)).toBe(true);
    // The controller took the served messages in the request's language.
    expect(button.auth.messages['LOGIN']).toBe('Se connecter avec');
    expect(button.auth.state.status).toBe('INITIALIZED');

    span?.dispatchEvent(new dom.window.MouseEvent('click'));
    const authUrl = await until(() => opened[0], 'the auth page to open');
    expect(new URL(authUrl).searchParams.get('requestingAppId')).toBe('assets-test-app');
    expect(button.auth.state.status).toBe('NEED_SIGNIN');

    const user = await personalUser();
    await acceptAsAuthPage(authUrl, user);
    await until(() => (button.auth.state.status === 'ACCEPTED' ? true : undefined), 'the poll to see ACCEPTED');
    expect(states).toEqual(expect.arrayContaining(['LOADING', 'INITIALIZED', 'NEED_SIGNIN', 'ACCEPTED']));

    const state = button.auth.state as unknown as { apiEndpoint: string; username: string };
    expect(state.username).toBe(user.username);
    // The button shows the user and keeps the endpoint for the next visit (its cookie).
    expect(dom.window.document.getElementById('pryv-access-btn-text')?.textContent).toBe(user.username);
    expect(button.getAuthorizationData()).toEqual({ apiEndpoint: state.apiEndpoint, username: user.username });
    const info = await new pryv.Connection(state.apiEndpoint).accessInfo();
    expect(info).toMatchObject({ type: 'app', name: 'assets-test-app', permissions: [{ streamId: 'diary', level: 'read' }] });
  }, 30_000);
});

describe('GET /www/assets/*', () => {
  it('answers 404 unknown-resource for a file that is not shipped, traversal included', async () => {
    for (const path of ['nope.css', '..%2Fpackage.json', '../config/default.yml', 'lib-js/../../package.json']) {
      const res = await t.app.inject({ method: 'GET', url: `/www/assets/${path}` });
      expect(res.statusCode, path).toBe(404);
      expect(res.json().error.id, path).toBe('unknown-resource');
    }
  });

  it('answers 304 to a matching If-None-Match, and /favicon.ico and /reg/www/assets/ serve the same files', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/www/assets/index.json' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ name: 'homecore', favicon: { default: { url: 'favicon.ico' } } });
    const again = await t.app.inject({ method: 'GET', url: '/www/assets/index.json', headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.statusCode).toBe(304);
    const fav = await t.app.inject({ method: 'GET', url: '/favicon.ico' });
    const viaReg = await t.app.inject({ method: 'GET', url: '/reg/www/assets/favicon.ico' });
    expect(fav.statusCode).toBe(200);
    expect(fav.rawPayload.equals(viaReg.rawPayload)).toBe(true);
  });

  it('service.assetsUrl points apps to another index instead', async () => {
    const other = await createApiTestApp({ HOMECORE_SERVICE__ASSETS_URL: 'https://assets.example.test/x/index.json' });
    try {
      const res = await other.app.inject({ method: 'GET', url: '/reg/service/info' });
      expect(res.json().assets).toEqual({ definitions: 'https://assets.example.test/x/index.json' });
    } finally {
      await other.close();
    }
  });
});
