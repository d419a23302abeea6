/* report.js — the connection table of tlsmon's HTML report: filter, sort,
 * page, and open a row's detail. Rows are arrays (report.c writes them):
 *   0 seq, 1 flow, 2 time, 3 client, 4 server, 5 SNI, 6 version,
 *   7 cipher, 8 outcome, 9 why, 10 cause, 11 fix, 12 JA4, 13 ms,
 *   14 detail block, 15 index in the block.
 * A block is gzip + base64 of a JSON array: per row, its sections, each a
 * number (an entry of the shared table) or [title, text]. Only the blocks
 * of rows opened are decompressed. All data reaches the page through
 * textContent, never as markup. */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const PAGE = 100;
  const rows = JSON.parse($('rows').textContent);
  const shared = JSON.parse($('shared').textContent);
  const FAILURES = new Set(['failed', 'not_tls', 'refused']);
  /* Table column -> row index. */
  const COLUMNS = [2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const NUMERIC = new Set([1, 13]);
  const text = rows.map((r) => r.slice(1, 14).join(' ').toLowerCase());
  let shown = rows.map((r, i) => i);
  let page = 0;
  let sortIndex = 2;
  let sortDir = 1;

  function fillSelect(id, col) {
    const seen = new Map();
    for (const r of rows)
      if (r[col] !== '') seen.set(r[col], (seen.get(r[col]) || 0) + 1);
    const sel = $(id);
    for (const [value, n] of [...seen].sort((a, b) => b[1] - a[1])) {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = value + ' (' + n + ')';
      sel.appendChild(o);
    }
  }

  function compare(a, b) {
    let x = rows[a][sortIndex];
    let y = rows[b][sortIndex];
    if (NUMERIC.has(sortIndex)) {
      x = x === '' ? -1 : +x;
      y = y === '' ? -1 : +y;
    }
    if (x < y) return -sortDir;
    if (x > y) return sortDir;
    return rows[a][0] - rows[b][0];
  }

  function apply() {
    const q = $('q').value.trim().toLowerCase();
    const outcome = $('outcome').value;
    const cause = $('cause').value;
    const failures = $('failures').checked;
    shown = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (outcome && r[8] !== outcome) continue;
      if (cause && r[10] !== cause) continue;
      if (failures && !FAILURES.has(r[8])) continue;
      if (q && !text[i].includes(q)) continue;
      shown.push(i);
    }
    shown.sort(compare);
    page = 0;
    render();
  }

  function render() {
    const body = $('conn-body');
    const frag = document.createDocumentFragment();
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (page >= pages) page = pages - 1;
    const from = page * PAGE;
    for (const i of shown.slice(from, from + PAGE)) {
      const r = rows[i];
      const tr = document.createElement('tr');
      tr.dataset.row = i;
      for (const c of COLUMNS) {
        const td = document.createElement('td');
        td.textContent = r[c];
        if (String(r[c]).length > 48) td.title = r[c];
        if (c === 8) td.className = 'o-' + r[8];
        tr.appendChild(td);
      }
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
    $('count').textContent = shown.length === rows.length
      ? rows.length + ' connections'
      : shown.length + ' of ' + rows.length + ' connections';
    $('page').textContent = shown.length
      ? 'rows ' + (from + 1) + '–' + Math.min(from + PAGE, shown.length) +
        ', page ' + (page + 1) + ' of ' + pages
      : 'no connection matches';
    $('prev').disabled = page === 0;
    $('next').disabled = page >= pages - 1;
    document.querySelectorAll('#conn th').forEach((th) => {
      const col = COLUMNS[+th.dataset.col];
      th.className = col === sortIndex ? (sortDir > 0 ? 'asc' : 'desc') : '';
    });
  }

  const blocks = new Map();
  async function block(k) {
    if (blocks.has(k)) return blocks.get(k);
    const b64 = $('chunk-' + k).textContent;
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream()
      .pipeThrough(new DecompressionStream('gzip'));
    const parsed = JSON.parse(await new Response(stream).text());
    if (blocks.size > 8) blocks.delete(blocks.keys().next().value);
    blocks.set(k, parsed);
    return parsed;
  }

  async function openDetail(i) {
    const r = rows[i];
    $('detail-title').textContent = 'flow ' + r[1] + ': ' + r[3] + ' → ' +
      r[4] + (r[5] ? ' (' + r[5] + ')' : '') + ', ' + r[8];
    const body = $('detail-body');
    body.replaceChildren();
    $('detail').hidden = false;
    let sections;
    try {
      sections = (await block(r[14]))[r[15]];
    } catch (e) {
      const p = document.createElement('p');
      p.textContent = 'The detail could not be read: ' + e;
      body.appendChild(p);
      return;
    }
    for (const ref of sections) {
      const [title, content] = typeof ref === 'number' ? shared[ref] : ref;
      const h = document.createElement('h3');
      h.textContent = title;
      const pre = document.createElement('pre');
      pre.textContent = content;
      body.append(h, pre);
    }
    body.dataset.flow = r[1];
    if (location.hash !== '#flow=' + r[1])
      history.replaceState(null, '', '#flow=' + r[1]);
  }

  function closeDetail() {
    $('detail').hidden = true;
    history.replaceState(null, '', location.pathname + location.search);
  }

  function fromHash() {
    const m = /^#flow=(\d+)$/.exec(location.hash);
    if (!m) return;
    const i = rows.findIndex((r) => String(r[1]) === m[1]);
    if (i >= 0) openDetail(i);
  }

  fillSelect('outcome', 8);
  fillSelect('cause', 10);
  let timer = 0;
  $('q').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 150);
  });
  for (const id of ['outcome', 'cause', 'failures'])
    $(id).addEventListener('change', apply);
  $('prev').addEventListener('click', () => { page--; render(); });
  $('next').addEventListener('click', () => { page++; render(); });
  document.querySelectorAll('#conn th').forEach((th) => {
    th.addEventListener('click', () => {
      const col = COLUMNS[+th.dataset.col];
      sortDir = col === sortIndex ? -sortDir : 1;
      sortIndex = col;
      shown.sort(compare);
      render();
    });
  });
  $('conn-body').addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (tr) openDetail(+tr.dataset.row);
  });
  $('detail-close').addEventListener('click', closeDetail);
  $('detail').addEventListener('click', (e) => {
    if (e.target === $('detail')) closeDetail();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('detail').hidden) closeDetail();
  });
  window.addEventListener('hashchange', fromHash);
  apply();
  fromHash();
  document.body.dataset.ready = 'yes';
})();
