// A pair's room: keeps the partner card current (who came, the swap on
// offer) and moves this tab to the new room once a swap has paired us.
const card = document.getElementById('pair-card');
if (card) {
  const swap = document.getElementById('swap');
  const text = document.getElementById('swap-text');
  const form = document.getElementById('swap-form');
  const clock = (unix) => new Date(unix * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const offer = (o) => {
    if (o.asked) return "You asked to work with someone else: as soon as someone free in this slot is too, you're both moved to a new room.";
    if (o.others === 0) return "Your partner hasn't come. No one else in this slot is free yet: ask, and you'll be paired as soon as someone is.";
    if (o.others === 1) return "Your partner hasn't come. 1 other person in this slot is without a partner too.";
    return `Your partner hasn't come. ${o.others} others in this slot are without a partner too.`;
  };
  const refresh = async () => {
    let s;
    try {
      const r = await fetch(card.dataset.state, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (!r.ok) return;
      s = await r.json();
    } catch {
      return; // offline for a moment: the next turn tries again
    }
    if (s.room && s.room !== location.pathname) {
      location.assign(s.room);
      return;
    }
    for (const p of s.partners) {
      const li = card.querySelector(`li[data-account="${CSS.escape(p.account_id)}"] [data-presence]`);
      if (!li) {
        location.reload(); // someone joined the pair (a third): show their card
        return;
      }
      li.textContent = p.arrived_at > 0 ? `Came at ${clock(p.arrived_at)}` : 'Not here yet';
      li.classList.toggle('here', p.arrived_at > 0);
    }
    swap.hidden = !s.swap;
    if (s.swap) {
      const t = offer(s.swap);
      if (text.textContent !== t) text.textContent = t;
      form.hidden = s.swap.asked;
    }
  };
  setInterval(refresh, 10000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  refresh();
}
