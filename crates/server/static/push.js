// "Notify me on this device": registers the service worker, subscribes this
// browser to push with the server's VAPID key, and gives the server the
// subscription (with the page's CSRF value).

const box = document.querySelector('[data-push]');
if (box) setUp(box);

function setUp(box) {
  const button = box.querySelector('[data-push-subscribe]');
  const status = box.querySelector('[data-push-status]');
  const say = (text) => { status.textContent = text; };
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    button.hidden = true;
    say('This browser cannot show notifications from websites.');
    return;
  }
  if (Notification.permission === 'denied') {
    say('Notifications are blocked for this site in your browser’s settings.');
  }
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(async (reg) => {
    const existing = await reg.pushManager.getSubscription();
    if (existing && Notification.permission === 'granted') say('This device is notified.');
  }).catch(() => {});
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        say('Notifications were not allowed, so nothing changed.');
        return;
      }
      const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
      await navigator.serviceWorker.ready;
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(box.dataset.key) });
      const json = sub.toJSON();
      const body = new URLSearchParams({
        csrf: box.dataset.csrf,
        endpoint: json.endpoint,
        p256dh: json.keys.p256dh,
        auth: json.keys.auth,
        label: label(),
      });
      const res = await fetch('/settings/devices', { method: 'POST', body, credentials: 'same-origin' });
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      say('This device is notified.');
      if (location.pathname === '/settings/devices') location.reload();
    } catch (e) {
      say(`This device could not be set up for notifications (${e.message}).`);
    } finally {
      button.disabled = false;
    }
  });
}

// The VAPID public key: base64url text to the bytes the push manager wants.
function bytes(b64url) {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// "Firefox on Linux": enough for a person to tell their devices apart.
function label() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom/.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari' : 'A browser';
  const system = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS'
    : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return system ? `${browser} on ${system}` : browser;
}
