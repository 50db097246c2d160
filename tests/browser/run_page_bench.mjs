// How fast the portal shows a run of 1,000 tasks: the page in Chromium until `load`, and
// the server's answer alone (fetch with the session cookie), each the median of 3.
// Prints figures, asserts none. Run by bench/portal_run_page.sh, which starts the server:
//
//   FERRY_URL=http://127.0.0.1:PORT FERRY_ADMIN_KEY=<operator key> \
//   PW_MODULES=$SVC/pw/node_modules [TASKS=1000] [REPEAT=3] node tests/browser/run_page_bench.mjs

import crypto from 'node:crypto';
import { apiClient, launch, median, need, runTasks, signIn, tenantWithKey, waitForRun } from './lib.mjs';

const BASE = need('FERRY_URL').replace(/\/+$/, '');
const OPERATOR = need('FERRY_ADMIN_KEY');
const TASKS = Number(process.env.TASKS || 1000);
const REPEAT = Number(process.env.REPEAT || 3);
const api = apiClient(BASE);

/** TASKS noop tasks in layers of 100; each task after the first layer waits for two of the layer before. */
function spec(name) {
  const WIDTH = 100;
  const id = (i) => `t${String(i).padStart(4, '0')}`;
  const tasks = [];
  for (let i = 0; i < TASKS; i++) {
    const layer = Math.floor(i / WIDTH);
    const t = { id: id(i), kind: 'noop' };
    if (layer > 0) {
      const prev = (layer - 1) * WIDTH;
      const a = prev + (i % WIDTH);
      const b = prev + ((i * 7 + 3) % WIDTH);
      t.depends_on = a === b ? [id(a)] : [id(a), id(b)];
    }
    tasks.push(t);
  }
  return { name, description: `${TASKS} noop tasks in layers of ${WIDTH}`, tasks };
}

async function main() {
  const tenant = await tenantWithKey(api, OPERATOR, `bench-${crypto.randomBytes(3).toString('hex')}`);
  const pipeline = await api('POST', '/api/v1/pipelines', { key: tenant.key, json: spec('run-page-bench'), expect: 201 });
  const started = Date.now();
  const run = await api('POST', `/api/v1/pipelines/${pipeline.data.id}/runs`, { key: tenant.key, expect: 202 });
  const done = await waitForRun(api, tenant.key, run.data.id, 600_000);
  const tasks = await runTasks(api, tenant.key, run.data.id);
  console.log(`run ${run.data.id}: ${tasks.length} tasks ${done.state} in ${Date.now() - started} ms`);

  const browser = await launch();
  try {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await signIn(page, BASE, tenant.key);
    const url = `${BASE}/runs/${run.data.id}`;

    const loads = [];
    for (let i = 0; i < REPEAT; i++) {
      const t0 = performance.now();
      const res = await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
      loads.push(performance.now() - t0);
      if (res.status() !== 200) throw new Error(`GET ${url} answered ${res.status()}`);
    }
    const nodes = await page.locator('figure#dag svg g.node').count();
    const rows = await page.locator('table#tasks tr[data-task]').count();

    const cookie = (await ctx.cookies(BASE)).find((c) => c.name === 'ferry_session');
    if (!cookie) throw new Error('no ferry_session cookie after signing in');
    const server = [];
    let size = 0;
    for (let i = 0; i < REPEAT; i++) {
      const t0 = performance.now();
      const res = await fetch(url, { headers: { cookie: `ferry_session=${cookie.value}`, accept: 'text/html' } });
      const body = await res.arrayBuffer();
      server.push(performance.now() - t0);
      size = body.byteLength;
      if (res.status !== 200) throw new Error(`fetch ${url} answered ${res.status}`);
    }
    const fmt = (xs) => xs.map((x) => Math.round(x)).join(', ');
    console.log(`page loads: ${fmt(loads)} ms; server answers: ${fmt(server)} ms; HTML ${Math.round(size / 1024)} KiB; ${nodes} DAG nodes, ${rows} task rows`);
    if (errors.length) console.log(`console errors (not judged here): ${errors.slice(0, 5).join(' | ')}`);
    console.log(`portal run page, ${TASKS} tasks: load ${Math.round(median(loads))} ms (median of ${REPEAT}), server ${Math.round(median(server))} ms`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`run page benchmark failed: ${e.stack || e.message || e}`);
  process.exit(1);
});
