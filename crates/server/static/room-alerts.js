// The room's chime and notifications at each step: opt-in, remembered on
// this device. `announce` is called by the timer when a step changes.

export function alerts(prefChime, prefNotify) {
  let audio = null;
  prefChime.checked = localStorage.getItem('cowork.chime') === '1';
  prefNotify.checked = localStorage.getItem('cowork.notify') === '1' && 'Notification' in window && Notification.permission === 'granted';
  prefChime.addEventListener('change', () => {
    localStorage.setItem('cowork.chime', prefChime.checked ? '1' : '0');
    if (prefChime.checked) chime();
  });
  prefNotify.addEventListener('change', async () => {
    if (prefNotify.checked && 'Notification' in window && Notification.permission !== 'granted') {
      prefNotify.checked = (await Notification.requestPermission()) === 'granted';
    }
    localStorage.setItem('cowork.notify', prefNotify.checked ? '1' : '0');
  });
  function chime() {
    try {
      audio = audio || new AudioContext();
      [660, 880].forEach((f, i) => {
        const o = audio.createOscillator();
        const g = audio.createGain();
        const t0 = audio.currentTime + i * 0.18;
        o.frequency.value = f;
        g.gain.setValueAtTime(0.0001, t0);
        g.gain.exponentialRampToValueAtTime(0.2, t0 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.35);
        o.connect(g).connect(audio.destination);
        o.start(t0);
        o.stop(t0 + 0.4);
      });
    } catch { /* no sound on this device */ }
  }
  return {
    /** A step changed: the chime, and a notification while the page is hidden, as chosen. */
    announce(title, said) {
      if (prefChime.checked) chime();
      if (prefNotify.checked && 'Notification' in window && Notification.permission === 'granted' && document.hidden) {
        try { new Notification(title, { body: said, tag: 'cowork-room' }); } catch { /* not allowed here */ }
      }
    },
  };
}
