-- The live room of each session (issue 4). Presence lives in memory; what
-- people wrote and decided lives here and outlasts the session.

-- The shared timer (JSON of the core's Timer) and the notes, one row per room.
CREATE TABLE room_state (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    timer TEXT NOT NULL,
    notes TEXT NOT NULL,
    notes_version BIGINT NOT NULL,
    notes_by TEXT NOT NULL,
    notes_at BIGINT NOT NULL
);

CREATE TABLE room_goals (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    outcome TEXT NOT NULL,                 -- open | done | partly | not_yet
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,            -- milliseconds
    updated_at BIGINT NOT NULL
);
CREATE INDEX room_goals_session ON room_goals (session_id, created_at);
CREATE INDEX room_goals_account ON room_goals (account_id, created_at);

-- Breakout tables: open until the phase `until_phase` is over, unless closed.
CREATE TABLE room_tables (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    video_url TEXT NOT NULL,
    proposed_by TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    until_phase BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX room_tables_session ON room_tables (session_id, created_at);

-- Who sits at which table: one table per person per room.
CREATE TABLE room_seats (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    table_id TEXT NOT NULL REFERENCES room_tables (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, account_id)
);

-- Chat of the room (table_id NULL) and of its tables. Deleted messages keep
-- their row (for reports) but lose their text.
CREATE TABLE room_messages (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    table_id TEXT REFERENCES room_tables (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    deleted_by TEXT,
    created_at BIGINT NOT NULL             -- milliseconds
);
CREATE INDEX room_messages_session ON room_messages (session_id, created_at);
CREATE INDEX room_messages_created ON room_messages (created_at);

-- People a host or conduct contact removed: they may not come back into that room.
CREATE TABLE room_removals (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    removed_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, account_id)
);

-- Reported messages, with a copy of the text as it was, for the organizers.
CREATE TABLE room_reports (
    id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    message_text TEXT NOT NULL,
    reporter_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX room_reports_community ON room_reports (community_id, created_at);
CREATE UNIQUE INDEX room_reports_once ON room_reports (reporter_id, message_id);

-- Feedback at the close. Anonymous feedback has no account, and nothing links
-- it to its giver: `room_feedback_givers` only records that someone gave
-- feedback (so they give it once), not which row is theirs.
CREATE TABLE room_feedback (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    rating BIGINT NOT NULL,
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX room_feedback_session ON room_feedback (session_id, created_at);

CREATE TABLE room_feedback_givers (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    anonymous BIGINT NOT NULL,
    PRIMARY KEY (session_id, account_id)
);

-- Members an organizer names as the code of conduct's contacts: they see
-- reports and may delete messages and remove people in any room.
ALTER TABLE memberships ADD COLUMN conduct_contact BIGINT NOT NULL DEFAULT 0;

-- Member counts are read on every community page and room entry: counted from
-- an index, not from every membership row (18,000 members took ~50 ms).
CREATE INDEX memberships_status ON memberships (community_id, status);
