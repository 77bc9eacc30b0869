-- Accountability partners (issue 12): focus slots booked on the quarter hour,
-- and the pairs (or threes) the matcher put together.

-- Whether a community offers partner sessions, and to whom; and its limit on
-- slots held at once for people whose attendance score is poor.
ALTER TABLE communities ADD COLUMN partners TEXT NOT NULL DEFAULT 'off';   -- off | members | everyone
ALTER TABLE communities ADD COLUMN partners_score_below BIGINT NOT NULL DEFAULT 0;
ALTER TABLE communities ADD COLUMN partners_score_slots BIGINT NOT NULL DEFAULT 0;

-- What a person asks of a partner; kept between bookings.
CREATE TABLE partner_preferences (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    availability TEXT NOT NULL,           -- everyone | favourites
    talk TEXT NOT NULL,                   -- chatty | quiet
    work TEXT NOT NULL,                   -- desk | moving | anything
    camera TEXT NOT NULL,                 -- on | off
    odd_one_out TEXT NOT NULL,            -- three | wait
    video_url TEXT NOT NULL DEFAULT '',   -- their own link, offered to partners
    record_public BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- One row per pool, start and length: its row lock serializes the slot's
-- bookings and matching. The pool is a community id, or '' for the instance.
CREATE TABLE partner_slots (
    id TEXT PRIMARY KEY,
    pool TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    booked BIGINT NOT NULL DEFAULT 0,
    UNIQUE (pool, starts_at, minutes)
);

CREATE TABLE partner_matches (
    id TEXT PRIMARY KEY,
    slot_id TEXT NOT NULL REFERENCES partner_slots (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX partner_matches_slot ON partner_matches (slot_id);

CREATE TABLE partner_bookings (
    id TEXT PRIMARY KEY,
    slot_id TEXT NOT NULL REFERENCES partner_slots (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    status TEXT NOT NULL,                 -- waiting | matched | cancelled
    match_id TEXT NOT NULL DEFAULT '',
    prefs TEXT NOT NULL,                  -- the preferences when booked (JSON)
    outcome TEXT NOT NULL DEFAULT '',     -- '' | came | no_show | late_cancel
    arrived_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX partner_bookings_slot ON partner_bookings (slot_id, status, created_at);
CREATE INDEX partner_bookings_account ON partner_bookings (account_id, starts_at);
CREATE INDEX partner_bookings_match ON partner_bookings (match_id);
-- A slot is booked once by a person while the booking stands.
CREATE UNIQUE INDEX partner_bookings_once ON partner_bookings (slot_id, account_id) WHERE status <> 'cancelled';

-- Favourites and blocks, each one person's about another.
CREATE TABLE partner_marks (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    other_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    mark TEXT NOT NULL,                   -- favourite | block
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, other_id)
);
