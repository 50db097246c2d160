// The portal in a real browser (Chromium through playwright-core), against a running
// `ferry standalone`. Run by scripts/browser_test.sh, which starts the server:
//
//   FERRY_URL=http://127.0.0.1:PORT FERRY_ADMIN_KEY=<operator key> SHOTS=<folder> \
//   PW_MODULES=$SVC/pw/node_modules [WORK_DIR=<folder under FERRY_FILE_ROOTS>] \
//   node tests/browser/portal.mjs
//
// Prints each step as it passes, saves a screenshot per step (and per viewport) into
// SHOTS, and exits non-zero when any check failed. Every step also fails on a console
// error, an uncaught page error or a dialog; every page visited is checked with axe-core
// (serious and critical violations fail) and the main pages at 1440x900 and 390x844 (no
// horizontal overflow at 390).

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Harness, UUID, apiClient, assert, launch, need, runTasks, signIn, sleep, tenantKey, tenantWithKey, waitForRun } from './lib.mjs';

const BASE = need('FERRY_URL').replace(/\/+$/, '');
const OPERATOR = need('FERRY_ADMIN_KEY');
const SHOTS = need('SHOTS');
const api = apiClient(BASE);
const h = new Harness(SHOTS);
setTimeout(() => {
  console.log('FAIL the browser test did not finish within 10 minutes');
  process.exit(1);
}, 600_000).unref();

const XSS = '<script>alert(1)</script>';
const RUN_PATH = new RegExp(`^/runs/(${UUID})$`);
const PIPELINE_PATH = new RegExp(`^/pipelines/(${UUID})$`);
const norm = (s) => String(s).replace(/\r\n?/g, '\n').replace(/\s+$/, '');
const loose = (s) => String(s).replace(/[`\s]+/g, ' ').trim();

// ---------------------------------------------------------------------------------------
// Local data: `src` to copy (slowly, so progress is visible), `dst` to copy into, and
// `other`, which differs from `src` (the `check` task's report: 90 missing, 10 extra, 5
// differing — more than one page of 50 in the missing list).

const work = fs.realpathSync(process.env.WORK_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-portal-')));
const dirA = path.join(work, 'tenant-a');
const dirB = path.join(work, 'tenant-b');
const src = path.join(dirA, 'src');
const dst = path.join(dirA, 'dst');
const other = path.join(dirA, 'other');
const BIG = 40;
const BIG_SIZE = 256 << 10;
const SMALL = 60;
const SMALL_SIZE = 1024;
const pad = (i) => String(i).padStart(2, '0');
const MISSING = [];
const EXTRA = [];
const DIFFER = [];
function fixtures() {
  for (const d of [dirB, dst, path.join(src, 'big'), path.join(src, 'small'), path.join(other, 'small'), path.join(other, 'extra')]) {
    fs.mkdirSync(d, { recursive: true });
  }
  for (let i = 0; i < BIG; i++) {
    fs.writeFileSync(path.join(src, 'big', `f${pad(i)}.bin`), crypto.randomBytes(BIG_SIZE));
    MISSING.push(`big/f${pad(i)}.bin`);
  }
  for (let i = 0; i < SMALL; i++) {
    const name = `small/s${pad(i)}.txt`;
    const body = crypto.randomBytes(SMALL_SIZE);
    fs.writeFileSync(path.join(src, name), body);
    if (i < 5) fs.writeFileSync(path.join(other, name), body); // the same
    else if (i < 10) {
      fs.writeFileSync(path.join(other, name), body.subarray(0, 1000)); // differs in size
      DIFFER.push(name);
    } else MISSING.push(name);
  }
  for (let i = 0; i < 10; i++) {
    fs.writeFileSync(path.join(other, 'extra', `e${pad(i)}.txt`), `extra ${i}\n`);
    EXTRA.push(`extra/e${pad(i)}.txt`);
  }
}
const TOTAL_BYTES = BIG * BIG_SIZE + SMALL * SMALL_SIZE;
const TOTAL_FILES = BIG + SMALL;

// Line 9 names a task that does not exist; line 12 makes `verify` depend on itself.
const BAD_SPEC = `name: portal-copy
description: Copy 10 MiB at 2 MiB/s, then compare it with a folder that differs.
tasks:
  - id: copy
    kind: copy
    source: ${src}/
    destination: ${dst}/
    bandwidth: 2MiB/s
    depends_on: [ghost]
  - id: verify
    kind: check
    depends_on: [verify]
    source: ${src}/
    target: ${other}/
    on_inconsistent: report
`;
const goodSpec = (description) => `name: portal-copy
description: ${description}
tasks:
  - id: copy
    kind: copy
    source: ${src}/
    destination: ${dst}/
    bandwidth: 2MiB/s
  - id: verify
    kind: check
    depends_on: [copy]
    source: ${src}/
    target: ${other}/
    on_inconsistent: report
`;
const GOOD_SPEC = goodSpec('Copy 10 MiB at 2 MiB/s, then compare it with a folder that differs.');

// ---------------------------------------------------------------------------------------

/** Clicks `button` (a form submit) and resolves with the response of the page it loads. */
async function submit(page, button) {
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await button.click();
  return nav;
}

/** The <nav> every signed-in page has, and its "Sign out" form button. */
async function checkNav(page, { admin }) {
  const nav = page.locator('nav');
  assert((await nav.count()) >= 1, 'the page has no <nav>');
  const names = ['Pipelines', 'Runs', 'Connections', 'Channels', 'Notifications'];
  for (const name of [...names, 'Keys', 'Audit']) {
    const n = await nav.getByRole('link', { name, exact: true }).count();
    if (names.includes(name) || admin) assert(n >= 1, `<nav> has no link "${name}"`);
    else assert(n === 0, `<nav> shows "${name}" to a key that is not an admin`);
  }
  for (const [name, p] of [['Pipelines', '/pipelines'], ['Runs', '/runs']]) {
    const href = await nav.getByRole('link', { name, exact: true }).first().getAttribute('href');
    assert(new URL(href, BASE).pathname === p, `<nav> link "${name}" points to ${href}, not ${p}`);
  }
  const out = page.getByRole('button', { name: 'Sign out', exact: true });
  assert((await out.count()) === 1, `expected one "Sign out" button, found ${await out.count()}`);
  assert(await out.evaluate((b) => !!b.form), '"Sign out" is not a form button');
}

/** No markup from user data became elements. */
async function noInjectedMarkup(page) {
  const found = await page.evaluate(() => ({
    scripts: [...document.querySelectorAll('script')].filter((s) => /alert\(/.test(s.textContent)).length,
    imgs: document.querySelectorAll('img[src="x"]').length,
  }));
  assert(found.scripts === 0 && found.imgs === 0, `user data became markup: ${JSON.stringify(found)}`);
}

/** The page's <progress> as numbers: {value, max}; value null when indeterminate. */
function readProgress(page, selector) {
  return page.evaluate((sel) => {
    const p = document.querySelector(sel);
    if (!p) return null;
    return { value: p.position === -1 ? null : p.value, max: p.max };
  }, selector);
}

function readRunPage(page) {
  return page.evaluate(() => {
    const p = document.querySelector('table#tasks tr[data-task="copy"] progress.bytes');
    return {
      run: document.querySelector('#run-state')?.textContent.trim(),
      node: document.querySelector('figure#dag svg g.node[data-task="copy"]')?.getAttribute('data-state'),
      value: p && p.position !== -1 ? p.value : null,
    };
  });
}

/** Rows of table#report-list (those with cells), as text. */
function reportRows(page) {
  return page.$$eval('table#report-list tr', (trs) => trs.filter((tr) => tr.querySelector('td')).map((tr) => tr.textContent));
}

function pathsOf(rows, expected) {
  return rows.map((text) => {
    const p = expected.find((e) => text.includes(e));
    assert(p, `report row shows none of the expected paths: ${text.trim().slice(0, 200)}`);
    return p;
  });
}

// ---------------------------------------------------------------------------------------

const s = {}; // what later sections use: ids of tenant A's things

async function main() {
  fixtures();
  const suffix = crypto.randomBytes(3).toString('hex');
  const A = await tenantWithKey(api, OPERATOR, `portal-a-${suffix}`, [dirA]);
  const B = await tenantWithKey(api, OPERATOR, `portal-b-${suffix}`, [dirB]);
  const viewerA = await tenantKey(api, OPERATOR, A.name, 'viewer');
  await api('POST', '/api/v1/pipelines', { key: B.key, json: { name: 'tenant-b-own', tasks: [{ id: 'only', kind: 'noop' }] }, expect: 201 });
  console.log(`setup: tenants ${A.name} and ${B.name}, data in ${work}, screenshots in ${SHOTS}`);

  const browser = await launch();
  const newPage = async (label) => {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = h.watch(await ctx.newPage(), label);
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(30_000);
    return { ctx, page };
  };
  const { ctx, page } = await newPage('tenant A');

  await h.section('sign in', async () => {
    await h.step('login page', page, async () => {
      const res = await page.goto(`${BASE}/login`);
      assert(res.status() === 200, `GET /login answered ${res.status()}`);
      const key = page.getByLabel('API key', { exact: true });
      assert((await key.count()) === 1, 'no single field labelled "API key"');
      assert((await key.getAttribute('id')) === 'key', 'the "API key" field is not input#key');
      assert((await key.getAttribute('type')) === 'password', 'the "API key" field is not type=password');
      assert((await page.getByRole('button', { name: 'Sign in', exact: true }).count()) === 1, 'no "Sign in" button');
      await h.layout(page, 'login');
    });
    await h.step('a wrong key is refused', page, async () => {
      await page.getByLabel('API key', { exact: true }).fill('fk_wrong_0000000000000000');
      await submit(page, page.getByRole('button', { name: 'Sign in', exact: true }));
      assert(new URL(page.url()).pathname !== '/pipelines', 'a wrong key was let in');
      assert(await page.locator('input#key').isVisible(), 'after a wrong key the sign-in form is gone');
      assert(!(await ctx.cookies(BASE)).some((c) => c.name === 'ferry_session'), 'a wrong key got a session cookie');
      await h.axe(page);
    }, { allowStatus: [400, 401, 403, 422] });
    await h.step('sign in with tenant A\'s admin key', page, async () => {
      await page.getByLabel('API key', { exact: true }).fill(A.key);
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/pipelines'),
        page.getByRole('button', { name: 'Sign in', exact: true }).click(),
      ]);
      const cookie = (await ctx.cookies(BASE)).find((c) => c.name === 'ferry_session');
      assert(cookie, 'no ferry_session cookie after signing in');
      assert(cookie.httpOnly, 'ferry_session is not HttpOnly');
      assert(cookie.sameSite === 'Strict', `ferry_session is SameSite=${cookie.sameSite}, not Strict`);
      assert(!cookie.value.includes(A.key), 'ferry_session holds the API key itself');
      await checkNav(page, { admin: true });
      await h.axe(page);
      return `ferry_session HttpOnly, SameSite=${cookie.sameSite}`;
    });
  });

  if (h.failures.length) {
    console.log('the rest is skipped: nothing else can be checked without signing in');
    await browser.close();
    return;
  }

  await h.section('new pipeline: mistakes shown at their lines, then fixed', async () => {
    await h.step('"New pipeline" opens the editor', page, async () => {
      const link = page.getByRole('link', { name: 'New pipeline', exact: true });
      const href = await link.getAttribute('href');
      assert(new URL(href, BASE).pathname === '/pipelines/new', `"New pipeline" points to ${href}`);
      await Promise.all([page.waitForURL((u) => u.pathname === '/pipelines/new'), link.click()]);
      const spec = page.getByLabel('Spec (YAML)', { exact: true });
      assert(await spec.evaluate((e) => e.tagName === 'TEXTAREA' && e.id === 'spec'), 'the field labelled "Spec (YAML)" is not textarea#spec');
      assert((await page.getByRole('button', { name: 'Create pipeline', exact: true }).count()) === 1, 'no "Create pipeline" button');
      await checkNav(page, { admin: true });
      await h.layout(page, 'new pipeline');
    });

    await h.step('a spec with mistakes comes back with each error at its line', page, async () => {
      await page.locator('textarea#spec').fill(BAD_SPEC);
      await submit(page, page.getByRole('button', { name: 'Create pipeline', exact: true }));
      assert(norm(await page.locator('textarea#spec').inputValue()) === norm(BAD_SPEC), 'textarea#spec does not hold the submitted text');
      const want = norm(BAD_SPEC).split('\n');
      const lines = await page.$$eval('ol#spec-lines li.spec-line', (lis) => lis.map((li) => ({ n: li.getAttribute('data-line'), text: li.textContent })));
      assert(lines.length === want.length, `ol#spec-lines lists ${lines.length} lines, the spec has ${want.length}`);
      want.forEach((line, i) => {
        const li = lines.find((l) => l.n === String(i + 1));
        assert(li, `no li.spec-line[data-line="${i + 1}"]`);
        assert(loose(li.text).includes(loose(line)), `li.spec-line[data-line="${i + 1}"] does not show "${line.trim()}"`);
      });
      const errors = await page.$$eval('.spec-error', (els) =>
        els.map((e) => ({
          line: e.getAttribute('data-line'),
          text: e.textContent,
          li: e.closest('li.spec-line')?.getAttribute('data-line') ?? null,
          inList: !!e.closest('ol#spec-lines'),
        })),
      );
      for (const e of errors) {
        assert(e.inList && e.li === e.line, `.spec-error[data-line="${e.line}"] is not inside li.spec-line[data-line="${e.line}"] of ol#spec-lines`);
      }
      assert(errors.some((e) => e.line === '9' && e.text.includes('ghost')), '.spec-error[data-line="9"] naming "ghost" is missing');
      // Every problem the API finds in the same text is shown, at the API's line.
      const apiAnswer = await api('POST', '/api/v1/pipelines', { key: A.key, yaml: BAD_SPEC, expect: 422 });
      for (const p of apiAnswer.data.errors) {
        assert(errors.some((e) => e.line === String(p.line) && loose(e.text).includes(loose(p.message))), `the API's error "${p.message}" (line ${p.line}) is not shown at its line`);
      }
      assert(errors.some((e) => e.line === '12'), '.spec-error[data-line="12"] (verify depends on itself) is missing');
      await checkNav(page, { admin: true });
      await h.layout(page, 'spec errors');
      return `${errors.length} errors, at lines ${[...new Set(errors.map((e) => e.line))].join(', ')}`;
    }, { allowStatus: [400, 422] });

    await h.step('the fixed spec creates the pipeline', page, async () => {
      await page.locator('textarea#spec').fill(GOOD_SPEC);
      await Promise.all([
        page.waitForURL((u) => PIPELINE_PATH.test(u.pathname)),
        page.getByRole('button', { name: 'Create pipeline', exact: true }).click(),
      ]);
      s.pipelineId = PIPELINE_PATH.exec(new URL(page.url()).pathname)[1];
      const title = (await page.locator('h1').first().textContent()).trim();
      assert(title === 'portal-copy', `h1 is "${title}", not the pipeline's name`);
      assert((await page.getByRole('button', { name: 'Start run', exact: true }).count()) === 1, 'no "Start run" button');
      assert((await page.getByRole('button', { name: 'Save spec', exact: true }).count()) === 1, 'no "Save spec" button');
      assert((await page.locator('textarea#spec').count()) === 1, 'no textarea#spec to edit');
      await checkNav(page, { admin: true });
      await h.layout(page, 'pipeline');
      return `/pipelines/${s.pipelineId}`;
    });

    await h.step('the pipeline list links to it', page, async () => {
      const res = await page.goto(`${BASE}/pipelines`);
      assert(res.status() === 200, `GET /pipelines answered ${res.status()}`);
      const link = page.locator('table#pipelines').getByRole('link', { name: 'portal-copy', exact: true });
      assert((await link.count()) === 1, 'table#pipelines has no single link "portal-copy"');
      const href = await link.getAttribute('href');
      assert(new URL(href, BASE).pathname === `/pipelines/${s.pipelineId}`, `"portal-copy" points to ${href}`);
      await checkNav(page, { admin: true });
      await h.layout(page, 'pipelines');
    });
  });

  await h.section('a run, live', async () => {
    assert(s.pipelineId, 'skipped: no pipeline was created');
    const sse = [];
    page.on('request', (r) => {
      if (r.resourceType() === 'eventsource') sse.push(r.url());
    });

    await h.step('"Start run" opens the run page', page, async () => {
      await page.goto(`${BASE}/pipelines`);
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/pipelines/${s.pipelineId}`),
        page.locator('table#pipelines').getByRole('link', { name: 'portal-copy', exact: true }).click(),
      ]);
      await Promise.all([
        page.waitForURL((u) => RUN_PATH.test(u.pathname)),
        page.getByRole('button', { name: 'Start run', exact: true }).click(),
      ]);
      await page.evaluate(() => {
        window.__ferryNoReload = 1;
      });
      s.runUrl = page.url();
      s.runId = RUN_PATH.exec(new URL(page.url()).pathname)[1];
      // The run may still be queued, its tasks not yet planned: their rows must arrive live.
      await page
        .waitForFunction(() => document.querySelectorAll('table#tasks tr[data-task]').length >= 2, null, { timeout: 30_000, polling: 100 })
        .catch(() => {
          throw new Error('table#tasks got no row per task within 30 s of the run page opening (a run opened while queued must gain its task rows live, without a reload)');
        });
      const shape = await page.evaluate(() => {
        const q = (sel) => document.querySelector(sel);
        const rows = [...document.querySelectorAll('table#tasks tr[data-task]')];
        return {
          state: q('#run-state')?.textContent.trim(),
          svg: !!q('figure#dag svg'),
          nodes: [...document.querySelectorAll('figure#dag svg g.node[data-task]')].map((g) => g.getAttribute('data-task')).sort(),
          nodeStates: [...document.querySelectorAll('figure#dag svg g.node[data-task]')].every((g) => g.hasAttribute('data-state')),
          rows: rows.map((tr) => tr.getAttribute('data-task')).sort(),
          rowsComplete: rows.every((tr) => tr.querySelector('progress.bytes') && tr.querySelector('progress.files') && tr.querySelector('.rate') && tr.querySelector('.eta')),
          totals: !!q('#run-totals progress'),
          transitions: !!q('ol#transitions'),
        };
      });
      assert(['queued', 'running', 'succeeded', 'failed', 'cancelled'].includes(shape.state), `#run-state says "${shape.state}"`);
      assert(shape.svg, 'figure#dag holds no inline <svg>');
      assert(JSON.stringify(shape.nodes) === '["copy","verify"]', `the DAG's g.node[data-task] are ${JSON.stringify(shape.nodes)}`);
      assert(shape.nodeStates, 'a g.node has no data-state');
      assert(JSON.stringify(shape.rows) === '["copy","verify"]', `table#tasks rows tr[data-task] are ${JSON.stringify(shape.rows)}`);
      assert(shape.rowsComplete, 'a task row lacks progress.bytes, progress.files, .rate or .eta');
      assert(shape.totals, '#run-totals has no <progress>');
      assert(shape.transitions, 'no ol#transitions');
      return `/runs/${s.runId}, ${shape.state}`;
    });

    await h.step('the copy\'s bytes progress rises while the run is running', page, async () => {
      const samples = [];
      let sawCancel = false;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const st = await readRunPage(page).catch((e) => {
          throw new Error(`the run page reloaded or navigated while the run was running (now at ${page.url()}): ${e.message.split('\n')[0]}`);
        });
        if (st.run === 'running' && st.value !== null && st.value > 0 && samples.at(-1) !== st.value) samples.push(st.value);
        if (st.run === 'running' && !sawCancel) sawCancel = await page.getByRole('button', { name: 'Cancel run', exact: true }).isVisible();
        if (st.node === 'succeeded' || ['succeeded', 'failed', 'cancelled'].includes(st.run)) break;
        if (samples.length >= 3 && sawCancel) break; // the rest is watched by the next step
        await sleep(100);
      }
      assert(samples.length >= 2, `saw the copy's bytes progress at ${samples.length} value(s) while running: ${samples.join(', ')}`);
      samples.forEach((v, i) => assert(i === 0 || v >= samples[i - 1], `bytes progress went back: ${samples.join(' → ')}`));
      assert(samples.at(-1) > samples[0], `bytes progress did not rise: ${samples.join(' → ')}`);
      assert(sawCancel, 'no "Cancel run" button while the run was running');
      return `${samples.join(' → ')} bytes`;
    });

    await h.step('the copy\'s node turns succeeded without a reload', page, async () => {
      await page.waitForFunction(
        () => document.querySelector('figure#dag svg g.node[data-task="copy"]')?.getAttribute('data-state') === 'succeeded',
        null,
        { timeout: 60_000, polling: 100 },
      );
      assert(page.url() === s.runUrl, `the page moved to ${page.url()}`);
      assert((await page.evaluate(() => window.__ferryNoReload)) === 1, 'the page was reloaded (window.__ferryNoReload is gone)');
      assert(sse.length >= 1, 'the run page opened no EventSource (server-sent events)');
      return `updates from ${new URL(sse[0]).pathname}`;
    });

    await h.step('the run succeeds', page, async () => {
      await page.waitForFunction(() => document.querySelector('#run-state')?.textContent.trim() === 'succeeded', null, { timeout: 60_000, polling: 100 });
      assert((await page.evaluate(() => window.__ferryNoReload)) === 1, 'the page was reloaded (window.__ferryNoReload is gone)');
      await page.waitForFunction(
        () => document.querySelector('figure#dag svg g.node[data-task="verify"]')?.getAttribute('data-state') === 'succeeded',
        null,
        { timeout: 10_000, polling: 100 },
      );
      const run = await api('GET', `/api/v1/runs/${s.runId}`, { key: A.key, expect: 200 });
      assert(run.data.state === 'succeeded', `the API says the run is ${run.data.state}`);
      // Final counters: every byte and file of the copy, and the run's totals full.
      await page.waitForFunction(
        ([bytes, files]) => {
          const b = document.querySelector('table#tasks tr[data-task="copy"] progress.bytes');
          const f = document.querySelector('table#tasks tr[data-task="copy"] progress.files');
          return b && f && b.value === bytes && b.max === bytes && f.value === files && f.max === files;
        },
        [TOTAL_BYTES, TOTAL_FILES],
        { timeout: 10_000, polling: 200 },
      ).catch(async () => {
        const b = await readProgress(page, 'table#tasks tr[data-task="copy"] progress.bytes');
        const f = await readProgress(page, 'table#tasks tr[data-task="copy"] progress.files');
        throw new Error(`the copy's progress ends at bytes ${JSON.stringify(b)}, files ${JSON.stringify(f)}; expected ${TOTAL_BYTES} bytes and ${TOTAL_FILES} files`);
      });
      const totals = await readProgress(page, '#run-totals progress');
      assert(totals && totals.value !== null && totals.value === totals.max, `#run-totals progress ends at ${JSON.stringify(totals)}`);
      const transitions = await page.locator('ol#transitions li').count();
      assert(transitions >= 1, 'ol#transitions is empty');
      assert(page.url() === s.runUrl, `the page moved to ${page.url()}`);
      await checkNav(page, { admin: true });
      await h.layout(page, 'run');
      return `${transitions} transitions`;
    });
  });

  await h.section('check report, paged', async () => {
    assert(s.runId, 'skipped: no run');
    await waitForRun(api, A.key, s.runId, 120_000); // even when the live section failed early
    const tasks = await runTasks(api, A.key, s.runId);
    const byKey = Object.fromEntries(tasks.map((t) => [t.key, t]));
    s.verifyId = byKey.verify?.id;

    await h.step('the DAG links each task to its page', page, async () => {
      await page.goto(s.runUrl); // a fresh load of the finished run
      for (const key of ['copy', 'verify']) {
        const href = await page.locator(`figure#dag svg g.node[data-task="${key}"]`).evaluate((g) => {
          const a = g.closest('a') || g.querySelector('a');
          return a && (a.getAttribute('href') || a.getAttribute('xlink:href'));
        });
        assert(href, `g.node[data-task="${key}"] is not in or around a link`);
        assert(new URL(href, BASE).pathname === `/tasks/${byKey[key].id}`, `the "${key}" node links to ${href}, not /tasks/${byKey[key].id}`);
      }
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/tasks/${s.verifyId}`),
        page.locator('figure#dag svg g.node[data-task="verify"]').click(),
      ]);
      const title = (await page.locator('h1').first().textContent()).trim();
      assert(title.includes('verify'), `h1 is "${title}", not the task's key`);
      const counts = loose(await page.locator('#report-counts').innerText()).toLowerCase();
      for (const [word, n] of [['missing', MISSING.length], ['extra', EXTRA.length], ['differ', DIFFER.length]]) {
        assert(counts.includes(word) && new RegExp(`\\b${n}\\b`).test(counts), `#report-counts ("${counts}") does not show ${n} ${word}`);
      }
      for (const name of ['Missing', 'Extra', 'Differ']) {
        const link = page.getByRole('link', { name: new RegExp(`^${name}\\b`) });
        assert((await link.count()) === 1, `expected one link "${name}", found ${await link.count()}`);
        const u = new URL(await link.getAttribute('href'), BASE);
        assert(u.pathname === `/tasks/${s.verifyId}` && u.searchParams.get('list') === name.toLowerCase(), `"${name}" points to ${u.pathname}${u.search}`);
      }
      await checkNav(page, { admin: true });
      await h.layout(page, 'task');
      return counts;
    });

    await h.step('missing files, page 1 and page 2', page, async () => {
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('list') === 'missing'),
        page.getByRole('link', { name: /^Missing\b/ }).click(),
      ]);
      const first = pathsOf(await reportRows(page), MISSING);
      assert(first.length === 50, `page 1 of the missing list has ${first.length} rows, not 50`);
      const next = page.locator('a[rel="next"]');
      assert((await next.count()) === 1, 'no a[rel="next"] on page 1');
      assert((await next.textContent()).includes('Next page'), 'a[rel="next"] does not say "Next page"');
      await h.axe(page);
      await h.shot(page, 'missing page 1');
      const before = page.url();
      await Promise.all([page.waitForURL((u) => u.href !== before), next.click()]);
      const second = pathsOf(await reportRows(page), MISSING);
      assert(second.length === MISSING.length - 50, `page 2 has ${second.length} rows, not ${MISSING.length - 50}`);
      assert(!second.some((p) => first.includes(p)), 'page 2 repeats rows of page 1');
      assert(new Set([...first, ...second]).size === MISSING.length, 'pages 1 and 2 together are not the missing files');
      assert((await page.locator('a[rel="next"]').count()) === 0, 'the last page still has a[rel="next"]');
      await h.layout(page, 'missing page 2');
      return `${first.length} + ${second.length} rows, ${first[0]} … ${second.at(-1)}`;
    });

    await h.step('extra and differing files', page, async () => {
      for (const [name, expected] of [['Extra', EXTRA], ['Differ', DIFFER]]) {
        await page.goto(`${BASE}/tasks/${s.verifyId}`);
        await Promise.all([
          page.waitForURL((u) => u.searchParams.get('list') === name.toLowerCase()),
          page.getByRole('link', { name: new RegExp(`^${name}\\b`) }).click(),
        ]);
        const rows = pathsOf(await reportRows(page), expected);
        assert(rows.length === expected.length && new Set(rows).size === expected.length, `the ${name} list shows ${rows.length} rows, not ${expected.length}`);
        assert((await page.locator('a[rel="next"]').count()) === 0, `the ${name} list has a next page`);
        await h.axe(page);
      }
    });
  });

  await h.section('edit a pipeline\'s spec', async () => {
    assert(s.pipelineId, 'skipped: no pipeline');
    await h.step('"Save spec" stores the edited spec', page, async () => {
      const res = await page.goto(`${BASE}/pipelines/${s.pipelineId}`);
      assert(res.status() === 200, `GET /pipelines/${s.pipelineId} answered ${res.status()}`);
      assert((await page.locator('textarea#spec').inputValue()).includes('portal-copy'), 'textarea#spec does not hold the stored spec');
      const description = `Edited in the browser ${Date.now()}`;
      await page.locator('textarea#spec').fill(goodSpec(description));
      await submit(page, page.getByRole('button', { name: 'Save spec', exact: true }));
      const stored = await api('GET', `/api/v1/pipelines/${s.pipelineId}`, { key: A.key, expect: 200 });
      assert(stored.data.spec.description === description, `the stored description is "${stored.data.spec.description}"`);
      await h.axe(page);
    });
  });

  await h.section('every page of the nav', async () => {
    await page.goto(`${BASE}/pipelines`);
    for (const name of ['Runs', 'Connections', 'Channels', 'Notifications', 'Keys', 'Audit']) {
      await h.step(`${name} page`, page, async () => {
        const res = await submit(page, page.locator('nav').getByRole('link', { name, exact: true }).first());
        assert(res && res.status() === 200, `${name} answered ${res && res.status()}`);
        if (name === 'Runs' && s.runId) {
          const n = await page.locator(`a[href$="/runs/${s.runId}"]`).count();
          assert(n >= 1, `/runs has no link to run ${s.runId}`);
        }
        await checkNav(page, { admin: true });
        await h.layout(page, name);
        return new URL(page.url()).pathname;
      });
    }
  });

  await h.section('user data is shown as text, never as markup', async () => {
    await h.step('markup in stored pipelines', page, async () => {
      // Pipeline names are 1 to 128 of [A-Za-z0-9._-] (common/src/spec/validate.rs), so
      // the API refuses this one; should that ever change, the list must still escape it.
      const named = await api('POST', '/api/v1/pipelines', { key: A.key, json: { name: XSS, tasks: [{ id: 'only', kind: 'noop' }] } });
      assert([201, 422].includes(named.status), `a pipeline named ${XSS}: ${named.status}`);
      const escaped = await api('POST', '/api/v1/pipelines', {
        key: A.key,
        json: { name: 'portal-escape', description: XSS, tasks: [{ id: 'only', kind: 'noop' }] },
        expect: 201,
      });
      s.escapeId = escaped.data.id;
      await page.goto(`${BASE}/pipelines`);
      if (named.status === 201) assert(await page.getByText(XSS).first().isVisible(), `the name ${XSS} is not shown as text`);
      assert((await page.locator('table#pipelines').getByRole('link', { name: 'portal-escape', exact: true }).count()) === 1, 'no link "portal-escape"');
      await noInjectedMarkup(page);
      await h.axe(page);
      await page.goto(`${BASE}/pipelines/${s.escapeId}`);
      assert((await page.locator('textarea#spec').inputValue()).includes(XSS), `textarea#spec does not show the description ${XSS}`);
      await noInjectedMarkup(page);
      await h.axe(page);
      return named.status === 201 ? 'name and description escaped' : `the API refuses the name (${named.status}); description escaped`;
    });

    await h.step('markup in a refused spec', page, async () => {
      const spec = `name: ${XSS}\ndescription: "</textarea><img src=x onerror=alert(3)>"\ntasks:\n  - id: only\n    kind: noop\n`;
      await page.goto(`${BASE}/pipelines/new`);
      await page.locator('textarea#spec').fill(spec);
      await submit(page, page.getByRole('button', { name: 'Create pipeline', exact: true }));
      assert(norm(await page.locator('textarea#spec').inputValue()) === norm(spec), 'textarea#spec does not hold the submitted text (did </textarea> break out?)');
      assert(await page.getByText(XSS).first().isVisible(), `${XSS} is not shown as text`);
      assert((await page.locator('.spec-error[data-line="1"]').count()) >= 1, 'no .spec-error at line 1 (the name)');
      await noInjectedMarkup(page);
      await h.axe(page);
    }, { allowStatus: [400, 422] });
  });

  await h.section('tenant B sees nothing of tenant A', async () => {
    const { page: pageB } = await newPage('tenant B');
    await h.step('tenant B\'s pipeline list', pageB, async () => {
      await signIn(pageB, BASE, B.key);
      const table = pageB.locator('table#pipelines');
      assert((await table.getByRole('link', { name: 'tenant-b-own', exact: true }).count()) === 1, 'tenant B does not see its own pipeline');
      const text = await pageB.locator('body').innerText();
      assert(!text.includes('portal-copy') && !text.includes('portal-escape'), 'tenant B sees tenant A\'s pipelines');
      const hrefs = await pageB.$$eval('a', (as) => as.map((a) => a.getAttribute('href') || ''));
      for (const id of [s.pipelineId, s.escapeId, s.runId].filter(Boolean)) {
        assert(!hrefs.some((href) => href.includes(id)), `tenant B's page links to ${id} of tenant A`);
      }
      await checkNav(pageB, { admin: true });
      await h.axe(pageB);
    });
    await h.step('tenant A\'s run, pipeline and task answer 404 to tenant B', pageB, async () => {
      const urls = [
        s.runId && `/runs/${s.runId}`,
        s.pipelineId && `/pipelines/${s.pipelineId}`,
        s.verifyId && `/tasks/${s.verifyId}`,
      ].filter(Boolean);
      assert(urls.length >= 1, 'skipped: tenant A has no run or pipeline to probe');
      for (const u of urls) {
        const res = await pageB.goto(BASE + u);
        assert(res.status() === 404, `GET ${u} as tenant B answered ${res.status()}`);
        assert(!(await pageB.locator('body').innerText()).includes('portal-copy'), `${u} shows tenant A's pipeline name to tenant B`);
        await h.axe(pageB);
      }
      return urls.join(', ');
    }, { allowStatus: [404] });
  });

  await h.section('a viewer, and signing out', async () => {
    const { ctx: ctxV, page: pageV } = await newPage('viewer of tenant A');
    await h.step('a viewer sees no Keys or Audit', pageV, async () => {
      await signIn(pageV, BASE, viewerA);
      await checkNav(pageV, { admin: false });
      assert((await pageV.locator('table#pipelines').getByRole('link', { name: 'portal-copy', exact: true }).count()) === 1, 'the viewer does not see tenant A\'s pipeline');
      await h.axe(pageV);
    });
    await h.step('"Sign out" ends the session', pageV, async () => {
      await submit(pageV, pageV.getByRole('button', { name: 'Sign out', exact: true }));
      await pageV.goto(`${BASE}/pipelines`);
      assert(await pageV.locator('input#key').isVisible(), 'after signing out, /pipelines does not ask for a key');
      assert((await pageV.locator('table#pipelines').count()) === 0, 'after signing out, /pipelines still lists pipelines');
      const cookie = (await ctxV.cookies(BASE)).find((c) => c.name === 'ferry_session');
      return cookie ? 'the cookie stays, the session is gone' : 'the cookie is cleared';
    }, { allowStatus: [401, 403] });
  });

  await browser.close();
  const late = h.takeEvents();
  if (late.length) {
    h.failures.push('events after the last step');
    console.log(`FAIL events after the last step:\n${late.map((e) => `     ${e.kind} on ${e.page}: ${e.text}`).join('\n')}`);
  }
}

main()
  .catch((e) => {
    h.failures.push('setup');
    console.log(`FAIL ${e.stack || e.message || e}`);
  })
  .finally(() => {
    if (!process.env.WORK_DIR) fs.rmSync(work, { recursive: true, force: true });
    if (h.failures.length) {
      console.log(`portal browser test: FAILED (${h.failures.join('; ')}); screenshots in ${SHOTS}`);
      process.exit(1);
    }
    console.log(`portal browser test: all ${h.n} steps passed; screenshots in ${SHOTS}`);
    process.exit(0);
  });
