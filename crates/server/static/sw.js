// cowork's service worker: shows the notifications the server pushes (a
// reminder, "starting now") and opens the page they point to when clicked.
// It caches nothing; pages always come from the server.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data ? event.data.text() : '' };
  }
  const title = message.title || 'cowork';
  const url = message.url || '/';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: message.body || '',
      icon: '/static/icon.svg',
      data: { url },
      // The same message pushed twice replaces the first instead of stacking.
      tag: message.tag || url,
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || '/', self.location.origin);
  // Only our own pages: a pushed message cannot send someone elsewhere.
  const target = url.origin === self.location.origin ? url.href : self.location.origin + '/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url === target);
      return open ? open.focus() : self.clients.openWindow(target);
    }),
  );
});
