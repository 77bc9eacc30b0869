-- Mail as the queue sends it (issue 9): the whole message kept for the
-- outbox, each person's choices of what to hear of, and addresses that bounced.

-- The raw message (headers and every part) when kept, and its Message-ID,
-- which a retry of the same job repeats.
ALTER TABLE mail ADD COLUMN raw TEXT NOT NULL DEFAULT '';
ALTER TABLE mail ADD COLUMN message_id TEXT NOT NULL DEFAULT '';

-- An address that hard-bounced (SMTP 5xx) gets nothing until the person
-- confirms it again (0: not bounced).
ALTER TABLE accounts ADD COLUMN email_bounced_at BIGINT NOT NULL DEFAULT 0;

-- One person's choice for one kind of notification on one channel; no row
-- means the kind's default. `generation` rises each time it is turned back
-- on, so an unsubscribe link mailed before that no longer turns it off.
CREATE TABLE notification_choices (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,         -- confirmations | reminders | starting_now | organizer_messages | organizer_notices | weekly_digest
    channel TEXT NOT NULL,      -- email | push
    enabled BIGINT NOT NULL,
    generation BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind, channel)
);

-- When reminders come, as offsets chosen by name (day_before_18, hour_before,
-- ten_minutes, morning_08); no row means the defaults.
CREATE TABLE reminder_choices (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    times TEXT NOT NULL,        -- comma-separated names, '' for none
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id)
);

-- Communities a person hears nothing from (but sign-in and their own RSVPs' invitations).
CREATE TABLE muted_communities (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, community_id)
);

-- Secrets the instance makes on first start (the key that signs unsubscribe links).
CREATE TABLE instance_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
