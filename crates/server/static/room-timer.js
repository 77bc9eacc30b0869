// The room's timer, computed exactly as the server does (crates/core/src/room/timer.rs):
// from the timer's state and a moment of the server's clock, never from a ticking counter.

export const KINDS = {
  welcome: 'Welcome', intros: 'Introductions', focus: 'Focus', break: 'Break', discussion: 'Discussion',
  wrap_up: 'Wrap-up', close: 'Close', open_work: 'Open work', check_in: 'Check-in',
};

export function position(t, now) {
  let phase = t.phase;
  let e = t.elapsed_ms + (t.running ? now - t.anchor_ms : 0);
  if (e < 0) return [phase, e];
  while (phase < t.durations_ms.length && e >= t.durations_ms[phase]) {
    e -= t.durations_ms[phase];
    phase++;
  }
  return [phase, e];
}
export function moment(t, now) {
  const [p, e] = position(t, now);
  if (p >= t.durations_ms.length) return { phase: null, remaining: 0, finished: true, running: false };
  if (e < 0) return { phase: null, remaining: -e, finished: false, running: t.running };
  return { phase: p, remaining: t.durations_ms[p] - e, finished: false, running: t.running };
}
export function endsAt(t, now) {
  const d = t.durations_ms;
  if (t.phase >= d.length) return t.anchor_ms;
  const rest = d.slice(t.phase).reduce((a, x) => a + x, 0) - t.elapsed_ms;
  return t.running ? t.anchor_ms + rest : now + rest;
}
// When each begun step really began, as of `now` (timer.rs `settle` and `began`).
export function begun(t, now) {
  const d = t.durations_ms;
  const out = (t.started_ms || []).slice();
  const note = (i, at) => {
    out.length = Math.min(out.length, i);
    const known = out.length;
    while (out.length <= i) out.push(at);
    for (let k = i - 1; k >= known; k--) out[k] = out[k + 1] - d[k];
  };
  if (!t.running || t.phase >= d.length) return out;
  let p = t.phase;
  let begin = t.anchor_ms - t.elapsed_ms;
  if (begin > now) return out;
  if (t.elapsed_ms <= 0) note(p, begin);
  while (p + 1 < d.length && begin + d[p] <= now) {
    begin += d[p];
    p++;
    note(p, begin);
  }
  return out;
}
// Every step's start (timer.rs `agenda`): begun steps when they really began, the rest projected from now.
export function starts(t, now) {
  const d = t.durations_ms;
  const [p, e] = position(t, now);
  const [ahead, first] = p >= d.length ? [d.length, endsAt(t, now)] : e < 0 ? [p, now - e] : [p + 1, now + d[p] - e];
  const s = new Array(d.length).fill(0);
  let at = first;
  for (let i = ahead; i < d.length; i++) {
    s[i] = at;
    at += d[i];
  }
  const known = begun(t, now);
  let next = first;
  for (let i = ahead - 1; i >= 0; i--) {
    s[i] = i < known.length ? known[i] : next - d[i];
    next = s[i];
  }
  return s;
}
const minutesOf = (ms) => Math.ceil(ms / 60000);
export function announcement(phases, before, after) {
  if (after.finished && !before.finished) return 'The session is over. Thank you for coworking!';
  if (after.phase != null && before.phase !== after.phase && phases[after.phase]) {
    const p = phases[after.phase];
    const kind = p.kind === 'break' ? (p.enforced ? 'Break' : 'Break (optional)') : KINDS[p.kind] || p.kind;
    return `${kind}: ${p.label} for ${minutesOf(after.remaining)} minutes.`;
  }
  if (after.phase != null && after.phase === before.phase && before.remaining > 60000 && after.remaining <= 60000) return 'One minute left.';
  return null;
}
export const clock = (ms) => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
};
