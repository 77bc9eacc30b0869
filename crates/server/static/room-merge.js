// The three-way line merge of the shared notes, ported line for line from
// crates/core/src/room/notes.rs, so the page merges as the server does.

function diff(b, o) {
  const n = b.length;
  const m = o.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = b[i] === o[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  let i = 0;
  let j = 0;
  const hunks = [];
  let open = null;
  while (i < n || j < m) {
    if (i < n && j < m && b[i] === o[j]) {
      if (open) { hunks.push(open); open = null; }
      i++; j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      open = open || { start: i, end: i, lines: [] };
      open.lines.push(o[j]);
      j++;
    } else {
      open = open || { start: i, end: i, lines: [] };
      open.end = i + 1;
      i++;
    }
  }
  if (open) hunks.push(open);
  return hunks;
}
function apply(b, from, to, hunks) {
  const out = [];
  let i = from;
  for (const h of hunks) {
    out.push(...b.slice(i, h.start), ...h.lines);
    i = h.end;
  }
  out.push(...b.slice(i, to));
  return out;
}
export function merge(baseText, ours, theirs) {
  if (ours === baseText) return theirs;
  if (theirs === baseText || ours === theirs) return ours;
  const b = baseText.split('\n');
  const all = diff(b, ours.split('\n')).map((h) => [true, h]).concat(diff(b, theirs.split('\n')).map((h) => [false, h]));
  all.sort((x, y) => x[1].start - y[1].start || x[1].end - y[1].end || (x[0] === y[0] ? 0 : x[0] ? 1 : -1));
  const out = [];
  let i = 0;
  let k = 0;
  while (k < all.length) {
    const gs = all[k][1].start;
    let ge = all[k][1].end;
    let g = k + 1;
    while (g < all.length && (all[g][1].start < ge || all[g][1].start === gs)) {
      ge = Math.max(ge, all[g][1].end);
      g++;
    }
    out.push(...b.slice(i, gs));
    const group = all.slice(k, g);
    const mine = group.filter(([o]) => o).map(([, h]) => h);
    const their = group.filter(([o]) => !o).map(([, h]) => h);
    const mineText = apply(b, gs, ge, mine);
    const theirText = apply(b, gs, ge, their);
    if (mine.length && !their.length) out.push(...mineText);
    else if (!mine.length && their.length) out.push(...theirText);
    else if (mineText.join('\n') === theirText.join('\n')) out.push(...mineText);
    else out.push(...theirText, ...mineText);
    i = ge;
    k = g;
  }
  out.push(...b.slice(i));
  return out.join('\n');
}
