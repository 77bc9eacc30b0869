// The room's shared notes: local edits are rebased onto everyone else's with
// the same three-way merge as the server (crates/core/src/room/notes.rs).
// `send` sends a frame and returns its ref (or nothing if it could not);
// `me` is this connection as the snapshot names it.

import { merge } from './room-merge.js';

export function sharedNotes(area, stateLine, send, me) {
  let base = { version: 0, text: '' }; // the server's text the local one is made from
  let inflight = null; // { ref, text } sent, not yet seen back
  let timer = null;
  let loaded = false;

  function set(text) {
    if (area.value === text) return;
    // Keep the caret on the same line and column when others' edits land.
    const before = area.value.slice(0, area.selectionStart);
    const line = before.split('\n').length - 1;
    const col = before.length - before.lastIndexOf('\n') - 1;
    const focused = document.activeElement === area;
    area.value = text;
    if (focused) {
      const lines = text.split('\n');
      let pos = 0;
      for (let i = 0; i < Math.min(line, lines.length - 1); i++) pos += lines[i].length + 1;
      pos += Math.min(col, (lines[Math.min(line, lines.length - 1)] || '').length);
      area.setSelectionRange(pos, pos);
    }
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, 600);
  }
  function save() {
    if (inflight) return schedule();
    const text = area.value;
    if (text === base.text) return;
    const ref = send({ type: 'notes_edit', base: base.version, text });
    if (ref) {
      inflight = { ref, text };
      stateLine.textContent = 'Saving…';
    } else schedule();
  }
  area.addEventListener('input', () => {
    stateLine.textContent = 'Editing…';
    schedule();
  });

  return {
    /** The notes of a (re)loaded snapshot. */
    fromSnapshot(n) {
      // After a reconnect, keep what was typed meanwhile (whether or not the
      // edit in flight arrived, merging from the base loses neither).
      const local = area.value;
      const merged = loaded && local !== base.text ? merge(base.text, local, n.text) : n.text;
      loaded = true;
      inflight = null;
      base = { version: n.version, text: n.text };
      set(merged);
      if (merged !== n.text) schedule();
      stateLine.textContent = n.by ? `Last edited by ${n.by}.` : 'Everyone here can edit. Saved as you type; edits made at the same time are merged.';
    },
    /** A `notes` event: someone's edit (maybe ours), merged into what is typed here. */
    incoming(m) {
      const ours = inflight && m.conn === me().conn && m.ref === inflight.ref;
      // Our edit is on its way; the server merges it with this one. Wait for ours.
      if (inflight && !ours) return;
      const from = ours ? inflight.text : base.text;
      inflight = null;
      const local = area.value;
      const merged = local === from ? m.text : merge(from, local, m.text);
      base = { version: m.version, text: m.text };
      set(merged);
      if (merged !== m.text) schedule();
      stateLine.textContent = `Saved · last edited by ${m.by}.`;
    },
    /** An error frame: true if it refused our edit (kept here, and tried again when that may help). */
    refused(m) {
      if (!inflight || m.ref !== inflight.ref) return false;
      inflight = null;
      // Too fast, a busy server or a database restarting: kept, and sent again shortly.
      const again = ['rate_limited', 'slow_down', 'unavailable'].includes(m.code);
      stateLine.textContent = again ? 'Saving…' : `Not saved: ${m.message}`;
      if (again) schedule();
      return true;
    },
  };
}
