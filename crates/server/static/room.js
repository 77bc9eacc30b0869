// The live room (docs/room-protocol.md). The server owns the state; this page
// shows it. Countdowns are computed from the server's clock, estimated from
// several pings, so every device agrees even when its own clock is wrong.

import { KINDS, moment, starts, announcement, clock } from './room-timer.js';
import { alerts } from './room-alerts.js';
import { sharedNotes } from './room-notes.js';

const root = document.getElementById('room');
const wait = document.getElementById('room-wait');

if (!root && wait && wait.dataset.serverNow) {
  // Waiting for the room to open: reload when it does (timed from the server's clock, not this device's).
  const due = Number(wait.dataset.opensAt) - Number(wait.dataset.serverNow);
  if (due > 0) setTimeout(() => location.reload(), Math.min(due + 1500, 2 ** 31 - 1));
}

if (root) start();

function start() {
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v === true) e.setAttribute(k, '');
      else if (v !== false && v != null) e.setAttribute(k, v);
    }
    for (const k of kids.flat()) if (k != null && k !== false) e.append(k);
    return e;
  };

  const STATUS = { focusing: 'Focusing', break: 'On a break', away: 'Away', hand: 'Hand raised', dnd: 'Do not disturb' };
  const MODE = { either: '', quiet: 'Quiet', social: 'Social' };
  const OUTCOMES = [['open', 'Open'], ['done', 'Done'], ['partly', 'Partly'], ['not_yet', 'Not yet']];

  let state = null; // the last snapshot, kept up to date by events
  let seq = 0;
  let offset = 0; // server clock = Date.now() + offset
  let ws = null;
  let backoff = 500;
  let stopped = false;
  let refs = 0;
  let failures = 0;
  const pending = new Map(); // ref -> element showing its error
  const reports = new Map(); // ref -> the message reported, until the server confirms
  const reported = new Set(); // messages reported from this page
  let chatTab = 'room';
  const system = []; // join/leave lines, this page only
  const title = document.title;

  const serverNow = () => Date.now() + offset;

  // ---- clock sync: NTP-style, outliers (slow round trips) dropped
  let samples = [];
  function syncClock() {
    samples = [];
    for (let i = 0; i < 8; i++) setTimeout(() => send({ type: 'ping', t: Date.now() }), i * 150);
  }
  function onPong(m) {
    const t3 = Date.now();
    samples.push({ rtt: t3 - m.t, off: m.server_ms - (m.t + t3) / 2 });
    if (samples.length < 3) return;
    const rtts = samples.map((s) => s.rtt).sort((a, b) => a - b);
    const median = rtts[Math.floor(rtts.length / 2)];
    const good = samples.filter((s) => s.rtt <= median);
    // Whole milliseconds: times computed from it land exactly on the server's seconds.
    offset = Math.round(good.reduce((a, s) => a + s.off, 0) / good.length);
    root.dataset.offset = String(Math.round(offset));
    tick();
  }
  setInterval(syncClock, 5 * 60 * 1000);

  // Wall-clock times by this device's clock, off from the server's by whole minutes only:
  // a step due at 10:00:00 is not shown at 09:59 because the two clocks differ by a few ms.
  const hhmm = (ms) => new Date(ms - Math.round(offset / 60000) * 60000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

  // ---- chime and notifications, opt-in, remembered on this device
  const alert = alerts($('pref-chime'), $('pref-notify'));

  // ---- the timer card, redrawn on each whole second of the time left, from wall time
  let last = null;
  let redraw = null;
  function tick() {
    if (!state) return;
    const now = serverNow();
    const m = moment(state.timer, now);
    // The shown second changes when the time left crosses a whole second: redraw
    // exactly then, so every screen changes together, whatever its clock or when it loaded.
    clearTimeout(redraw);
    const delay = m.running && !m.finished ? m.remaining % 1000 || 1000 : 1000;
    root.dataset.redrawAt = String(now + delay);
    $('countdown').dataset.endsAt = m.running && !m.finished ? String(now + m.remaining) : '';
    redraw = setTimeout(tick, delay);
    const p = m.phase != null ? state.phases[m.phase] : null;
    $('phase-kind').textContent = m.finished ? 'Finished' : p ? (KINDS[p.kind] || p.kind) + (m.running ? '' : ' · paused') : m.running ? 'Starting soon' : 'Waiting for the host';
    $('phase-name').textContent = m.finished ? 'Thank you for coworking!' : p ? p.label : state.session.title;
    $('countdown').textContent = m.finished ? '0:00' : clock(m.remaining);
    if (me().host) {
      const before = !m.finished && m.phase == null;
      const show = { start: before, pause: m.running && !before && !m.finished, resume: !m.running && !before && !m.finished, skip: !m.finished, extend: m.phase != null, restart: true };
      document.querySelectorAll('[data-timer]').forEach((b) => { b.hidden = !show[b.dataset.timer]; });
      $('extend-minutes').hidden = !show.extend;
    }
    const timerCard = $('timer-card');
    timerCard.dataset.kind = p ? p.kind : m.finished ? 'close' : 'welcome';
    timerCard.classList.toggle('paused', !m.running && !m.finished);
    const nextIndex = m.phase == null ? (m.finished ? null : 0) : m.phase + 1;
    const next = nextIndex != null ? state.phases[nextIndex] : null;
    $('phase-next').textContent = m.finished ? '' : next ? `${m.phase == null ? 'First' : 'Next'}: ${next.label} (${next.minutes} min)` : 'Last step';
    document.title = m.finished ? title : `${clock(m.remaining)} · ${p ? p.label : 'Starting soon'} · ${title}`;
    const at = starts(state.timer, now);
    document.querySelectorAll('#agenda li').forEach((li, i) => {
      const cur = m.phase === i;
      li.classList.toggle('current', cur);
      li.classList.toggle('done', m.finished || (m.phase != null && i < m.phase));
      if (cur) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
      const t = li.querySelector('.at');
      if (t && at[i] != null) t.textContent = hhmm(at[i]);
    });
    if (last) {
      const said = announcement(state.phases, last, m);
      if (said) {
        $('announcer').textContent = said;
        if (last.phase !== m.phase || (m.finished && !last.finished)) {
          alert.announce(state.session.title, said);
        }
      }
    }
    last = m;
    const wrapUp = m.finished || m.phase === state.phases.length - 1 || (p && ['wrap_up', 'close', 'check_in'].includes(p.kind));
    setWrapUp(!!wrapUp);
    renderTables(); // tables close by themselves when their focus blocks end
  }
  document.addEventListener('visibilitychange', tick);

  // Check-out and feedback come forward at the wrap-up (once: a reader who closes them keeps them closed).
  let wrapping = null;
  function setWrapUp(on) {
    if (on === wrapping) return;
    wrapping = on;
    root.classList.toggle('wrap-up', on);
    $('feedback-card').classList.toggle('highlight', on);
    $('checkout-prompt').hidden = !on;
    $('feedback-when').hidden = on;
    if (on) $('feedback-card').open = true;
  }

  // Chat, tables and notes: one shown at a time beside the goals, one tap away. On a
  // phone none is open during a focus block, so the room stays calm.
  const panels = [...document.querySelectorAll('.panel-switch [data-panel]')];
  let panel = 'chat';
  let unread = 0;
  function showPanel(name) {
    panel = name;
    for (const b of panels) {
      const on = b.dataset.panel === name;
      b.setAttribute('aria-expanded', String(on));
      $(b.getAttribute('aria-controls')).hidden = !on;
    }
    if (name === 'chat') {
      unread = 0;
      renderUnread();
      if (state) renderChat();
    }
  }
  function renderUnread() {
    $('chat-unread').hidden = !unread;
    $('chat-unread').textContent = unread ? `${unread} new` : '';
  }
  for (const b of panels) b.addEventListener('click', () => showPanel(panel === b.dataset.panel ? '' : b.dataset.panel));

  // A skip can be taken back for a few seconds (the server allows 10; the button goes 2 s before).
  let undoTimer = null;
  function offerUndo(skip, was) {
    clearTimeout(undoTimer);
    const bar = $('undo-bar');
    const left = skip && me().host && skip.undo_until_ms ? skip.undo_until_ms - 2000 - serverNow() : 0;
    bar.hidden = left <= 0;
    if (left <= 0) return;
    const p = was.phase != null ? state.phases[was.phase] : null;
    $('undo-what').textContent = `Skipped ${p ? `“${p.label}”` : 'to the first step'}.`;
    undoTimer = setTimeout(() => { bar.hidden = true; }, left);
  }
  $('undo-skip').addEventListener('click', () => {
    $('undo-bar').hidden = true;
    send({ type: 'timer', action: 'undo' }, $('timer-error'));
  });

  // ---- connection
  function connect() {
    const url = new URL(root.dataset.ws, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    setLink('Connecting…', 'connecting');
    ws = new WebSocket(url);
    ws.onopen = () => { backoff = 500; failures = 0; };
    ws.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      onMessage(m);
    };
    ws.onclose = (e) => {
      ws = null;
      if (stopped) return;
      // Closed, or no longer allowed in: the page itself says why.
      if (e.code === 4000 || e.code === 4003) { location.reload(); return; }
      failures += 1;
      if (failures >= 3) probe();
      setLink('Reconnecting…', 'connecting');
      const delay = backoff * (0.75 + Math.random() * 0.5);
      backoff = Math.min(backoff * 2, 15000);
      setTimeout(connect, delay);
    };
  }
  // After a few failed reconnects, ask for the page: if the room closed, or we were
  // signed out or refused, reloading shows why; if the server is down, keep trying.
  async function probe() {
    try {
      const r = await fetch(location.href, { redirect: 'manual', cache: 'no-store' });
      if (!r.ok || !(await r.text()).includes('id="room"')) location.reload();
    } catch { /* offline: the next attempt will tell */ }
  }
  function setLink(text, cls) {
    const s = $('link-state');
    s.textContent = text;
    s.className = `link-state ${cls}`;
  }
  function send(msg, errorEl) {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      if (errorEl) showError(errorEl, 'Not connected right now; try again in a moment.');
      return null;
    }
    const ref = `r${++refs}`;
    if (errorEl) {
      pending.set(ref, errorEl);
      clearError(errorEl);
    }
    ws.send(JSON.stringify({ ...msg, ref }));
    return ref;
  }
  function showError(e, text) {
    e.textContent = text;
    e.hidden = false;
  }
  function clearError(e) {
    e.textContent = '';
    e.hidden = true;
  }

  function onMessage(m) {
    if (m.type === 'snapshot') {
      const first = !state;
      state = m;
      seq = m.seq;
      if (first) {
        offset = m.server_ms - Date.now();
        const now = moment(m.timer, serverNow());
        const focus = now.phase != null && m.phases[now.phase].kind === 'focus';
        if (focus && matchMedia('(max-width: 49.99rem)').matches) showPanel('');
      }
      setLink('Connected', 'connected');
      renderAll();
      notes.fromSnapshot(m.notes);
      syncClock();
      return;
    }
    if (m.type === 'history') {
      // The rest of the snapshot (people, goals, chat, oldest first), before any event.
      if (state) {
        for (const key of ['people', 'goals', 'messages']) if (m[key]) state[key].push(...m[key]);
      }
      renderAll();
      return;
    }
    if (m.type === 'pong') return onPong(m);
    if (m.type === 'ok') {
      if (m.ref && reports.has(m.ref)) {
        reported.add(reports.get(m.ref));
        reports.delete(m.ref);
        $('chat-state').textContent = 'Reported. The organizers and conduct contacts will look at it.';
        renderChat();
      }
      if (m.ref && pending.get(m.ref) === $('feedback-error')) {
        if ($('feedback-anonymous').checked) feedbackSentAnonymously();
        else $('feedback-state').textContent = 'Thank you! Your feedback was sent.';
      }
      pending.delete(m.ref);
      return;
    }
    if (m.type === 'error') {
      const target = m.ref && pending.get(m.ref);
      if (m.ref) pending.delete(m.ref);
      if (m.ref && reports.delete(m.ref)) $('chat-state').textContent = '';
      if (m.code === 'removed') {
        stopped = true;
        setLink('You were removed from this room', 'gone');
        root.querySelectorAll('input, textarea, select, button').forEach((x) => { x.disabled = true; });
        $('announcer').textContent = 'A host removed you from this room.';
        return;
      }
      if (notes.refused(m)) return;
      if (target) showError(target, m.message);
      else setLink(m.message, 'connected');
      return;
    }
    if (!state || typeof m.seq !== 'number' || m.seq <= seq) return; // seen already (or before a snapshot)
    seq = m.seq;
    switch (m.type) {
      case 'joined':
        state.people = state.people.filter((p) => p.id !== m.person.id).concat([m.person]);
        note(`${m.person.name} joined`, m.at_ms);
        break;
      case 'left': {
        const p = state.people.find((x) => x.id === m.account);
        state.people = state.people.filter((x) => x.id !== m.account);
        if (p) note(`${p.name} left`, m.at_ms);
        break;
      }
      case 'removed':
        state.people = state.people.filter((x) => x.id !== m.account);
        note(`${m.name} was removed by a host`, m.at_ms);
        break;
      case 'presence':
        state.people = state.people.map((p) => (p.id === m.person.id ? m.person : p));
        break;
      case 'timer': {
        const was = moment(state.timer, serverNow());
        state.timer = m.timer;
        const more = m.minutes === 1 ? '1 more minute' : `${m.minutes} more minutes`;
        note(`${m.by} ${{ start: 'started the session', pause: 'paused the timer', resume: 'resumed the timer', skip: 'moved on to the next step', undo: 'undid the skip', extend: `gave this step ${more}`, restart: 'restarted the agenda' }[m.action] || 'changed the timer'}`, m.at_ms);
        offerUndo(m.action === 'skip' ? m : null, was);
        tick();
        break;
      }
      case 'goal': {
        const i = state.goals.findIndex((g) => g.id === m.goal.id);
        if (i >= 0) state.goals[i] = m.goal;
        else state.goals.push(m.goal);
        break;
      }
      case 'goal_removed':
        state.goals = state.goals.filter((g) => g.id !== m.id);
        break;
      case 'chat':
        if (panel !== 'chat' && m.message.account !== me().id) {
          unread += 1;
          renderUnread();
        }
        state.messages.push(m.message);
        if (state.messages.length > 500) state.messages.shift();
        break;
      case 'chat_deleted':
        state.messages = state.messages.filter((x) => x.id !== m.id);
        break;
      case 'table': {
        const i = state.tables.findIndex((t) => t.id === m.table.id);
        if (i >= 0) state.tables[i] = m.table;
        else state.tables.push(m.table);
        break;
      }
      case 'notes':
        notes.incoming(m);
        return;
      default:
        return;
    }
    renderAll();
  }
  function note(text, at) {
    system.push({ text, at_ms: at });
    if (system.length > 100) system.shift();
  }

  // ---- rendering
  const me = () => state.me;
  const myPerson = () => state.people.find((p) => p.id === me().id);
  // Where someone sits, if that table is still open (tables close by themselves after two focus blocks).
  const openTableOf = (p) => {
    const t = p && p.table && state.tables.find((x) => x.id === p.table);
    return t && tableOpen(t) ? t : null;
  };
  function renderAll() {
    $('host-controls').hidden = !me().host;
    const mine = myPerson();
    if (mine) {
      $('my-status').value = mine.status;
      $('my-mode').value = mine.mode;
    }
    renderPeople();
    renderGoals();
    renderTables();
    renderChat();
    renderFeedback();
    tick();
  }

  function renderPeople() {
    $('people-count').textContent = String(state.people.length);
    $('people').replaceChildren(...state.people.map((p) => el('li', { class: `person status-${p.status}` },
      el('span', { class: 'dot', 'aria-hidden': 'true' }),
      el('span', { class: 'who' },
        el('strong', {}, p.name), p.pronouns ? el('span', { class: 'pronouns' }, ` (${p.pronouns})`) : null,
        p.host ? el('span', { class: 'badge role-host' }, 'Host') : null,
        el('span', { class: 'sub' }, [STATUS[p.status] || p.status, MODE[p.mode], openTableOf(p) ? `at “${openTableOf(p).topic}”` : ''].filter(Boolean).join(' · '))),
      me().moderator && p.id !== me().id
        ? el('button', { type: 'button', class: 'linklike danger small', onclick: () => {
          if (confirm(`Remove ${p.name} from this room? They won't be able to come back in.`)) send({ type: 'remove', account: p.id });
        } }, 'Remove', el('span', { class: 'visually-hidden' }, ` ${p.name}`))
        : null)));
  }

  const noteDrafts = new Map(); // goal id -> a check-in note being typed
  let goalsKey = '';
  function renderGoals() {
    const key = JSON.stringify([state.goals, state.people.map((p) => p.id), me().id]);
    if (key === goalsKey) return;
    goalsKey = key;
    const byPerson = new Map();
    for (const g of state.goals) {
      if (!byPerson.has(g.account)) byPerson.set(g.account, { name: g.name, goals: [] });
      byPerson.get(g.account).goals.push(g);
    }
    // Mine first, then in the order people came in.
    const order = [me().id, ...state.people.map((p) => p.id), ...byPerson.keys()];
    const seen = new Set();
    const groups = [];
    for (const id of order) {
      if (seen.has(id) || !byPerson.has(id)) continue;
      seen.add(id);
      groups.push([id, byPerson.get(id)]);
    }
    const board = $('goals');
    const focused = document.activeElement && board.contains(document.activeElement) ? document.activeElement.id : null;
    if (!groups.length) {
      board.replaceChildren(el('p', { class: 'hint' }, 'No goals yet. Say what you will work on: one line each, small enough to finish today.'));
      return;
    }
    board.replaceChildren(...groups.map(([id, g]) => el('div', { class: 'goal-group' },
      el('h3', { class: 'small' }, id === me().id ? 'Your goals' : g.name),
      el('ul', { class: 'goal-list' }, g.goals.map((goal) => goalItem(goal, id === me().id))))));
    const again = focused && document.getElementById(focused);
    if (again) {
      again.focus();
      if (again.setSelectionRange && again.type === 'text') again.setSelectionRange(again.value.length, again.value.length);
    }
  }
  function goalItem(g, mine) {
    const outcome = el('span', { class: `outcome outcome-${g.outcome}` }, OUTCOMES.find(([k]) => k === g.outcome)?.[1] || g.outcome);
    const li = el('li', { class: `goal outcome-${g.outcome}`, 'data-goal': g.id },
      el('span', { class: 'goal-text' }, g.text), outcome, g.note ? el('span', { class: 'goal-note' }, g.note) : null);
    if (mine) {
      const err = el('p', { class: 'field-error', hidden: true });
      const sel = el('select', { id: `outcome-${g.id}`, 'aria-label': `How it went: ${g.text}` },
        OUTCOMES.map(([k, l]) => el('option', { value: k, selected: k === g.outcome }, l)));
      const noteInput = el('input', { type: 'text', id: `note-${g.id}`, value: noteDrafts.get(g.id) ?? g.note, maxlength: '500', placeholder: 'A note (optional)', 'aria-label': `Note on: ${g.text}` });
      noteInput.addEventListener('input', () => noteDrafts.set(g.id, noteInput.value));
      const save = () => {
        noteDrafts.delete(g.id);
        send({ type: 'goal_check', id: g.id, outcome: sel.value, note: noteInput.value }, err);
      };
      sel.addEventListener('change', save);
      noteInput.addEventListener('change', save);
      li.append(el('div', { class: 'goal-check' }, sel, noteInput,
        el('button', { type: 'button', class: 'linklike small', onclick: () => send({ type: 'goal_remove', id: g.id }, err) }, 'Remove', el('span', { class: 'visually-hidden' }, ` goal: ${g.text}`))), err);
    }
    return li;
  }

  function tableOpen(t) {
    if (t.closed) return false;
    const m = moment(state.timer, serverNow());
    if (m.finished) return false;
    return (m.phase ?? 0) <= t.until_phase;
  }
  let tablesKey = '';
  function renderTables() {
    if (!state) return;
    const mine = openTableOf(myPerson())?.id;
    const key = JSON.stringify([state.tables, state.people.map((p) => [p.id, p.table]), state.tables.map(tableOpen), me().host]);
    if (key === tablesKey) return;
    tablesKey = key;
    renderPeople();
    const list = $('tables');
    if (!state.tables.length) {
      list.replaceChildren(el('li', { class: 'hint' }, 'No tables yet.'));
    } else {
      list.replaceChildren(...state.tables.map((t) => {
        const open = tableOpen(t);
        const seated = state.people.filter((p) => openTableOf(p)?.id === t.id).map((p) => p.name);
        const until = state.phases[t.until_phase];
        return el('li', { class: `room-table${open ? '' : ' closed'}${mine === t.id ? ' mine' : ''}` },
          el('div', {}, el('strong', {}, t.topic), ' ', el('span', { class: 'hint' }, `proposed by ${t.proposed_by_name}`)),
          el('p', { class: 'sub' }, open ? `${seated.length ? seated.join(', ') : 'Nobody yet'} · open until the end of ${until ? until.label : 'the session'}` : 'Closed'),
          el('div', { class: 'button-row' },
            open && mine !== t.id ? el('button', { type: 'button', class: 'small secondary', onclick: () => send({ type: 'table_join', id: t.id }) }, 'Join', el('span', { class: 'visually-hidden' }, ` ${t.topic}`)) : null,
            mine === t.id ? el('button', { type: 'button', class: 'small secondary', onclick: () => send({ type: 'table_join', id: null }) }, 'Leave table') : null,
            open && t.video_url ? el('a', { class: 'button small secondary', href: t.video_url, target: '_blank', rel: 'noopener noreferrer' }, 'Video') : null,
            open && (me().host || t.proposed_by === me().id) ? el('button', { type: 'button', class: 'small linklike danger', onclick: () => send({ type: 'table_close', id: t.id }) }, 'Close', el('span', { class: 'visually-hidden' }, ` ${t.topic}`)) : null,
            !open && me().host ? el('button', { type: 'button', class: 'small linklike', onclick: () => send({ type: 'table_open', id: t.id }) }, 'Reopen', el('span', { class: 'visually-hidden' }, ` ${t.topic}`)) : null));
      }));
    }
    const tab = $('chat-table');
    tab.hidden = !mine;
    if (!mine && chatTab !== 'room') setChatTab('room');
  }

  function spans(list) {
    return list.map((s) => {
      switch (s.t) {
        case 'bold': return el('strong', {}, s.v);
        case 'italic': return el('em', {}, s.v);
        case 'code': return el('code', {}, s.v);
        case 'link': return /^https?:\/\//i.test(s.v) ? el('a', { href: s.v, target: '_blank', rel: 'noopener noreferrer nofollow ugc' }, s.v) : s.v;
        case 'break': return el('br');
        default: return s.v;
      }
    });
  }
  function setChatTab(t) {
    chatTab = t;
    $('chat-room').setAttribute('aria-pressed', String(t === 'room'));
    $('chat-table').setAttribute('aria-pressed', String(t !== 'room'));
    $('chat-text').placeholder = t === 'room' ? 'Write to everyone… (*bold*, _italic_, `code`)' : 'Write at your table (others in the room can read it too)…';
    renderChat();
  }
  $('chat-room').addEventListener('click', () => setChatTab('room'));
  $('chat-table').addEventListener('click', () => setChatTab('table'));
  function renderChat() {
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const table = chatTab === 'room' ? null : openTableOf(myPerson())?.id || null;
    const msgs = state.messages.filter((m) => (m.table || null) === table).map((m) => ({ ...m, kind: 'msg' }));
    const lines = table ? msgs : msgs.concat(system.map((s) => ({ ...s, kind: 'sys' }))).sort((a, b) => a.at_ms - b.at_ms);
    if (!lines.length) {
      list.replaceChildren(el('li', { class: 'hint' }, table ? 'Nothing at this table yet.' : 'Say hello!'));
      return;
    }
    list.replaceChildren(...lines.map((m) => m.kind === 'sys'
      ? el('li', { class: 'system' }, el('span', {}, m.text), ' ', el('time', {}, hhmm(m.at_ms)))
      : el('li', { class: `msg${m.account === me().id ? ' mine' : ''}`, 'data-message': m.id },
        el('div', { class: 'msg-head' }, el('strong', {}, m.name), ' ', el('time', {}, hhmm(m.at_ms)),
          m.account !== me().id && reported.has(m.id) ? el('span', { class: 'hint small' }, 'Reported') : null,
          m.account !== me().id && !reported.has(m.id) ? el('button', { type: 'button', class: 'linklike small', onclick: () => report(m) }, 'Report', el('span', { class: 'visually-hidden' }, ` message by ${m.name}`)) : null,
          me().moderator ? el('button', { type: 'button', class: 'linklike small danger', onclick: () => send({ type: 'chat_delete', id: m.id }) }, 'Delete', el('span', { class: 'visually-hidden' }, ` message by ${m.name}`)) : null),
        el('p', { class: 'msg-text' }, spans(m.spans)))));
    if (atBottom) list.scrollTop = list.scrollHeight;
  }
  function report(m) {
    const reason = prompt(`Report this message by ${m.name} to the organizers? Say why (optional):`, '');
    if (reason === null) return;
    $('chat-state').textContent = 'Sending the report…';
    const ref = send({ type: 'report', id: m.id, reason }, $('chat-error'));
    if (ref) reports.set(ref, m.id);
  }

  function renderFeedback() {
    const f = state.feedback;
    if (!f || $('feedback-form').dataset.filled) return;
    $('feedback-form').dataset.filled = '1';
    if (f.kind === 'anonymous') return feedbackSentAnonymously();
    const r = document.querySelector(`#feedback-form input[name=rating][value="${f.rating}"]`);
    if (r) r.checked = true;
    $('feedback-comment').value = f.comment;
    $('feedback-state').textContent = 'You gave feedback on this session; sending again replaces it.';
  }
  function feedbackSentAnonymously() {
    $('feedback-form').querySelectorAll('input, textarea, button').forEach((x) => { x.disabled = true; });
    $('feedback-state').textContent = 'You sent anonymous feedback. Thank you! Nothing links it to you, so it can\'t be changed.';
  }

  // ---- forms
  $('goal-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('goal-text');
    if (!input.value.trim()) return showError($('goal-error'), 'Write your goal first.');
    if (send({ type: 'goal_add', text: input.value }, $('goal-error'))) input.value = '';
  });
  $('table-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!$('table-topic').value.trim()) return showError($('table-error'), 'Name the topic first.');
    if (send({ type: 'table_propose', topic: $('table-topic').value, video_url: $('table-video').value }, $('table-error'))) {
      $('table-topic').value = '';
      $('table-video').value = '';
    }
  });
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('chat-text');
    if (!t.value.trim()) return;
    const table = chatTab === 'room' ? null : openTableOf(myPerson())?.id || null;
    $('chat-state').textContent = '';
    if (send({ type: 'chat', text: t.value, table }, $('chat-error'))) t.value = '';
  });
  $('chat-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('chat-form').requestSubmit();
    }
  });
  $('my-status').addEventListener('change', (e) => send({ type: 'presence', status: e.target.value }));
  $('my-mode').addEventListener('change', (e) => send({ type: 'presence', mode: e.target.value }));
  document.querySelectorAll('[data-timer]').forEach((b) => b.addEventListener('click', () => {
    const action = b.dataset.timer;
    if (action === 'restart' && !confirm('Restart the whole agenda from the first step?')) return;
    send(action === 'extend' ? { type: 'timer', action, minutes: Number($('extend-minutes').value) } : { type: 'timer', action }, $('timer-error'));
  }));
  $('feedback-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const r = document.querySelector('#feedback-form input[name=rating]:checked');
    if (!r) return showError($('feedback-error'), 'Choose a rating from 1 to 5.');
    $('feedback-state').textContent = 'Sending…';
    send({ type: 'feedback', rating: Number(r.value), comment: $('feedback-comment').value, anonymous: $('feedback-anonymous').checked }, $('feedback-error'));
  });

  // ---- shared notes (room-notes.js)
  const notes = sharedNotes($('notes'), $('notes-state'), send, me);

  connect();
}
