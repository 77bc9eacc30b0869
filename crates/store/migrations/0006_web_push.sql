-- Web push (issue 9). The instance's VAPID key pair is made on first start
-- and kept here, so every node signs with the same key and subscriptions
-- (bound to the public key by the browser) survive restarts.
CREATE TABLE vapid_keys (
    id TEXT PRIMARY KEY,                   -- always 'instance': one pair per instance
    private_key TEXT NOT NULL,             -- P-256 scalar, base64url
    public_key TEXT NOT NULL,              -- uncompressed point, base64url (the browser's applicationServerKey)
    created_at BIGINT NOT NULL
);

-- One row per browser (device) a person asked to be notified on. A push
-- service that answers 404 or 410 for an endpoint has forgotten it: the row goes.
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL UNIQUE,         -- the push service's URL for this browser
    p256dh TEXT NOT NULL,                  -- the browser's public key, base64url
    auth TEXT NOT NULL,                    -- the browser's auth secret, base64url
    label TEXT NOT NULL DEFAULT '',        -- "Firefox on Linux", shown in the list of devices
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);
