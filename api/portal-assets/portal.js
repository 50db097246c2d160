// Ferry portal: live run progress over server-sent events. The page is complete
// without this script; it only keeps the run page current without a reload.
(() => {
  'use strict';
  const live = document.getElementById('live');
  if (!live || !window.EventSource) return;

  const rows = new Map();
  document.querySelectorAll('#tasks tr[data-task]').forEach((r) => rows.set(r.dataset.task, r));
  const nodes = new Map();
  document.querySelectorAll('#dag g.node[data-task]').forEach((n) => nodes.set(n.dataset.task, n));

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

  const source = new EventSource(live.dataset.src);
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
    if (view.finished) source.close();
  });
  source.addEventListener('signed-out', () => source.close());
})();
