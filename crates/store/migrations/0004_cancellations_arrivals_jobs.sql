-- Cancelling ahead with a word to the people going, who came to the room,
-- and the durable record of work to do later or elsewhere (issue 8).

-- The organizer's optional word when a session is cancelled ('' for none).
ALTER TABLE sessions ADD COLUMN cancel_note TEXT NOT NULL DEFAULT '';

-- Who entered a session's live room, and when first (attendance no longer
-- depends on an RSVP: drop-in sessions have none).
CREATE TABLE session_arrivals (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    first_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, account_id)
);
CREATE INDEX session_arrivals_account ON session_arrivals (account_id, first_at);

-- Work that others must hear of, written in the same transaction as the
-- change that causes it and delivered from here by any node's runner.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                    -- e.g. mail.session_cancelled
    payload TEXT NOT NULL,                 -- JSON, read by the job's kind
    dedupe_key TEXT NOT NULL UNIQUE,       -- the same change enqueues once
    run_at BIGINT NOT NULL,                -- due from (unix seconds)
    deadline BIGINT NOT NULL DEFAULT 0,    -- not done by then: dropped, not sent late (0: none)
    status TEXT NOT NULL,                  -- queued | running | done | dropped | dead
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT NOT NULL DEFAULT '',  -- who holds a running job; only they may finish it
    lease_until BIGINT NOT NULL DEFAULT 0, -- a running job whose lease passed is claimed again
    last_error TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',         -- why a job ended without doing anything, if it did
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_lease ON jobs (status, lease_until);
