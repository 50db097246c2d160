// Ferry portal: live run progress over server-sent events. The page is complete
// without this script; it only keeps the run page current without a reload.
(() => {
  'use strict';
  const live = document.getElementById('live');
  if (!live || !window.EventSource) return;

  const rows = new Map();
  const nodes = new Map();
  const index = () => {
    rows.clear();
    nodes.clear();
    document.querySelectorAll('#tasks tr[data-task]').forEach((r) => rows.set(r.dataset.task, r));
    document.querySelectorAll('#dag g.node[data-task]').forEach((n) => nodes.set(n.dataset.task, n));
  };
  index();

  const setText = (root, selector, text) => {
    const el = root.querySelector(selector);
    if (el && el.textContent !== text) el.textContent = text;
  };
  const setBar = (root, cls, bar) => {
    const p = root.querySelector('progress.' + cls);
    if (p) { p.max = bar.max; p.value = bar.value; }
    setText(root, '.' + cls + '-text', bar.text);
  };
  const setState = (el, state) => {
    if (!el) return;
    el.textContent = state;
    el.className = 'state state-' + state;
  };

  // When a state changes, the parts of the page that only a state change alters (facts,
  // timeline, errors) are fetched again and swapped in: at most one fetch at a time,
  // and one more afterwards if changes came meanwhile.
  let busy = false;
  let again = false;
  const refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const res = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (res.ok) {
        const fresh = new DOMParser().parseFromString(await res.text(), 'text/html');
        for (const id of ['run-facts', 'run-timeline', 'task-errors']) {
          const next = fresh.getElementById(id);
          const now = document.getElementById(id);
          if (next && now) now.replaceWith(document.adoptNode(next));
        }
      }
    } catch (e) {
      // The next state change tries again.
    } finally {
      busy = false;
      if (again) { again = false; setTimeout(refresh, 1000); }
    }
  };
  let states = null;

  const source = new EventSource(live.dataset.src);
  // The run was planned after the page loaded: the server sends the rows and the DAG
  // (its own escaped markup) and the page takes them in place.
  source.addEventListener('layout', (event) => {
    const layout = JSON.parse(event.data);
    const body = document.querySelector('#tasks tbody');
    if (body) body.innerHTML = layout.rows;
    const dag = document.querySelector('#dag .dag-scroll');
    if (dag) dag.innerHTML = layout.dag;
    index();
  });
  source.addEventListener('progress', (event) => {
    const view = JSON.parse(event.data);
    setState(document.getElementById('run-state'), view.state);
    const totals = document.getElementById('run-totals');
    if (totals) {
      const p = totals.querySelector('progress');
      if (p) { p.max = view.totals.max; p.value = view.totals.value; }
      setText(totals, '.totals-text', view.totals_text);
    }
    const error = document.getElementById('run-error');
    if (error && view.error) { error.textContent = view.error; error.hidden = false; }
    for (const t of view.tasks) {
      const row = rows.get(t.key);
      if (row) {
        setBar(row, 'files', t.files);
        setBar(row, 'bytes', t.bytes);
        setText(row, '.rate', t.rate);
        setText(row, '.eta', t.eta);
        setText(row, '.attempt', String(t.attempt));
        setState(row.querySelector('.task-state span'), t.state);
      }
      const node = nodes.get(t.key);
      if (node && node.dataset.state !== t.state) {
        node.dataset.state = t.state;
        const title = node.querySelector('title');
        if (title) title.textContent = title.textContent.replace(/: [a-z_ ]+$/, ': ' + t.state);
      }
    }
    document.querySelectorAll('[data-show-while="active"]').forEach((el) => { el.hidden = view.finished; });
    document.querySelectorAll('[data-show-when]').forEach((el) => {
      el.hidden = !el.dataset.showWhen.split(' ').includes(view.state);
    });
    const now = view.state + ' ' + view.tasks.map((t) => t.state).join(',');
    if ((states !== null && states !== now) || view.finished) refresh();
    states = now;
    if (view.finished) source.close();
  });
  source.addEventListener('signed-out', () => source.close());
})();
