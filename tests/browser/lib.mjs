// Shared pieces of the portal's browser scripts (portal.mjs, run_page_bench.mjs): loading
// playwright-core and axe-core from $PW_MODULES, launching Debian's Chromium, a small REST
// client, signing in, and the harness that runs steps, screenshots them and fails on
// console errors, page errors, dialogs and serious accessibility violations.
//
// Plain Node (20+): no test runner. playwright-core and axe-core are not in the repository;
// scripts/services.sh `ensure_browser` installs them into $SVC/pw.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

export const PW_MODULES =
  process.env.PW_MODULES || path.join(process.env.SVC || '/tmp/ferry-svc', 'pw', 'node_modules');
// A require that resolves from inside PW_MODULES (the file name need not exist).
const pwRequire = createRequire(path.join(PW_MODULES, 'ferry-browser-tests.js'));
export const { chromium } = pwRequire('playwright-core');
export const AXE_SOURCE = fs.readFileSync(path.join(PW_MODULES, 'axe-core', 'axe.min.js'), 'utf8');

// ../shared/SERVICES.md, "Headless browser": these keep Chromium from calling Google hosts.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return v;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** A REST client of `base`: `api(method, path, {key, json, yaml, expect})` → {status, data}. */
export function apiClient(base) {
  return async function api(method, p, { key, json, yaml, expect } = {}) {
    const headers = { accept: 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    let body;
    if (json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (yaml !== undefined) {
      headers['content-type'] = 'application/yaml';
      body = yaml;
    }
    const res = await fetch(base + p, { method, headers, body });
    const text = await res.text();
    let data = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {}
    if (expect !== undefined && ![].concat(expect).includes(res.status)) {
      throw new Error(`${method} ${p}: expected ${expect}, got ${res.status}: ${text.slice(0, 600)}`);
    }
    return { status: res.status, data, headers: res.headers };
  };
}

/** With the operator's key: a tenant (with file roots) and a key of `role` for it. */
export async function tenantWithKey(api, operatorKey, name, fileRoots = []) {
  const t = await api('POST', '/api/v1/tenants', { key: operatorKey, json: { name, file_roots: fileRoots }, expect: 201 });
  const secret = await tenantKey(api, operatorKey, name, 'admin');
  return { id: t.data.id, name, key: secret };
}

export async function tenantKey(api, operatorKey, tenant, role) {
  const k = await api('POST', '/api/v1/keys', {
    key: operatorKey,
    json: { name: `browser test ${role}`, role, tenant },
    expect: 201,
  });
  return k.data.secret;
}

/** Every task of a run (all pages). */
export async function runTasks(api, key, runId) {
  const out = [];
  let cursor = '';
  for (;;) {
    const q = `limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await api('GET', `/api/v1/runs/${runId}/tasks?${q}`, { key, expect: 200 });
    out.push(...r.data.items);
    if (!r.data.next_cursor) return out;
    cursor = r.data.next_cursor;
  }
}

/** Polls a run until it is finished; returns it. */
export async function waitForRun(api, key, runId, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api('GET', `/api/v1/runs/${runId}`, { key, expect: 200 });
    if (['succeeded', 'failed', 'cancelled'].includes(r.data.state)) return r.data;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${r.data.state} after ${timeoutMs} ms`);
    await sleep(300);
  }
}

/** Signs `page` in on /login with `key`; resolves on /pipelines. */
export async function signIn(page, base, key) {
  const res = await page.goto(`${base}/login`);
  if (res.status() !== 200) throw new Error(`GET /login answered ${res.status()}`);
  await page.getByLabel('API key', { exact: true }).fill(key);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/pipelines'),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
}

const RESOURCE_STATUS = /^Failed to load resource: the server responded with a status of (\d{3})/;

/**
 * Runs named steps, prints each as it passes, screenshots each into `shots`, and fails a
 * step on any console error, uncaught page error or dialog seen while it ran.
 */
export class Harness {
  constructor(shots) {
    this.shots = shots;
    fs.mkdirSync(shots, { recursive: true });
    this.n = 0;
    this.failures = [];
    this.events = []; // {kind, page, text, url}
  }

  /** Listens to `page` for console errors, page errors and dialogs. */
  watch(page, label) {
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.events.push({ kind: 'console error', page: label, text: msg.text(), url: msg.location()?.url || '' });
    });
    page.on('pageerror', (err) => this.events.push({ kind: 'page error', page: label, text: String(err?.stack || err) }));
    page.on('dialog', (d) => {
      this.events.push({ kind: `dialog (${d.type()})`, page: label, text: d.message() });
      d.dismiss().catch(() => {});
    });
    return page;
  }

  /** The events not yet judged, minus failed loads whose status a step expected. */
  takeEvents(allowStatus = []) {
    const events = this.events.splice(0);
    return events.filter((e) => {
      const m = e.kind === 'console error' && RESOURCE_STATUS.exec(e.text);
      return !(m && allowStatus.includes(Number(m[1])));
    });
  }

  async shot(page, name, suffix = '') {
    if (!page || page.isClosed()) return;
    const file = path.join(this.shots, `${String(this.n).padStart(2, '0')}-${slug(name)}${suffix}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: 15000 }).catch((e) => console.error(`  (no screenshot: ${e.message})`));
  }

  /**
   * One step: `fn` runs, then the step fails on events it caused; a screenshot of `page` is
   * saved either way. `allowStatus`: HTTP statuses the step expects a page to answer with
   * (Chromium logs those loads as console errors). Returns what `fn` returned.
   */
  async step(name, page, fn, { allowStatus = [] } = {}) {
    this.n += 1;
    const n = String(this.n).padStart(2, '0');
    try {
      const detail = await fn();
      await sleep(50); // let late console messages of this step arrive
      const bad = this.takeEvents(allowStatus);
      if (bad.length) throw new Error(bad.map((e) => `${e.kind} on ${e.page}: ${e.text}${e.url ? ` (${e.url})` : ''}`).join('\n'));
      await this.shot(page, name);
      console.log(`ok   ${n} ${name}${typeof detail === 'string' ? `: ${detail}` : ''}`);
      return detail;
    } catch (e) {
      await this.shot(page, name, '-FAILED');
      // What the failed step logged is its own, not the next step's.
      const seen = this.takeEvents(allowStatus).map((ev) => `${ev.kind} on ${ev.page}: ${ev.text}${ev.url ? ` (${ev.url})` : ''}`);
      const message = e.message || String(e);
      const also = seen.filter((line) => !message.includes(line));
      console.log(`FAIL ${n} ${name}\n${indent([message, ...also].join('\n'))}`);
      throw new StepFailed(name, e);
    }
  }

  /** A group of steps; the first failing step ends the group, and the others still run. */
  async section(name, fn) {
    console.log(`-- ${name}`);
    try {
      await fn();
    } catch (e) {
      this.failures.push(name);
      if (!(e instanceof StepFailed)) console.log(`FAIL ${name}\n${indent(e.stack || e.message || String(e))}`);
    }
  }

  /** axe-core on the page as it is; fails on serious or critical violations. */
  async axe(page) {
    // Injected through the DevTools protocol (page.evaluate), which the page's CSP does not
    // govern; a <script> tag (addScriptTag) would be refused by `script-src 'self'`.
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        url: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
      }));
    });
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (bad.length) {
      const lines = bad.flatMap((v) => [
        `axe ${v.impact} ${v.id}: ${v.help} (${v.url})`,
        ...v.nodes.slice(0, 5).map((n) => `    ${n.target}: ${String(n.summary).replace(/\s+/g, ' ')}`),
      ]);
      throw new Error(lines.join('\n'));
    }
    return violations.length;
  }

  /**
   * The page at 1440x900 and at 390x844: axe at both, a screenshot at both, and at 390 no
   * horizontal overflow. Leaves the page at 1440x900.
   */
  async layout(page, name) {
    for (const [width, height] of [[1440, 900], [390, 844]]) {
      await page.setViewportSize({ width, height });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      if (width === 390) {
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        if (scrollWidth > width + 1) {
          const wide = await page.evaluate((w) => {
            // The outermost elements that stick out (not inside a scrolling or clipping
            // box), to say what to fix.
            const contained = (el) => {
              for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
                if (getComputedStyle(a).overflowX !== 'visible') return true;
              }
              return false;
            };
            const out = [];
            for (const el of document.body.querySelectorAll('*')) {
              const r = el.getBoundingClientRect();
              if (r.right > w + 1 && !contained(el) && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 1)) {
                out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} (right edge ${Math.round(r.right)})`);
              }
            }
            return out.slice(0, 8);
          }, width);
          await this.shot(page, name, '-390-overflow');
          throw new Error(`${name}: horizontal overflow at 390 px: scrollWidth ${scrollWidth}; sticking out: ${wide.join(', ')}`);
        }
      }
      await this.axe(page);
      const file = path.join(this.shots, `${String(this.n).padStart(2, '0')}-${slug(name)}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true, timeout: 15000 });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  }
}

export class StepFailed extends Error {
  constructor(step, cause) {
    super(`step failed: ${step}: ${cause?.message || cause}`);
    this.cause = cause;
  }
}

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

function indent(s) {
  return String(s).split('\n').map((l) => `     ${l}`).join('\n');
}
