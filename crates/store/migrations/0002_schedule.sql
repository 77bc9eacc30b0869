-- Formats, series, their materialized sessions, RSVPs and calendar feeds.

-- A community's own formats; the built-in ones live in code.
CREATE TABLE formats (
    id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    phases TEXT NOT NULL,                  -- JSON: [{kind, label, minutes, enforced}]
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX formats_community ON formats (community_id);

-- What an organizer schedules: local wall time + IANA zone + RRULE.
CREATE TABLE series (
    id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    format_key TEXT NOT NULL,              -- builtin:… or a formats.id
    format_name TEXT NOT NULL,
    phases TEXT NOT NULL,                  -- the format's phases when last saved
    start_date TEXT NOT NULL,              -- YYYY-MM-DD in time_zone
    start_time TEXT NOT NULL,              -- HH:MM in time_zone
    time_zone TEXT NOT NULL,
    rrule TEXT NOT NULL DEFAULT '',        -- '' for a one-off
    capacity BIGINT NOT NULL DEFAULT 0,    -- 0: no limit
    place TEXT NOT NULL,                   -- online | in_person
    video_url TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en',
    created_by TEXT NOT NULL REFERENCES accounts (id),
    version BIGINT NOT NULL DEFAULT 1,     -- bumped by every edit; forms send it back to catch concurrent edits
    materialized_until TEXT NOT NULL DEFAULT '', -- local date through which sessions exist
    source_uid TEXT NOT NULL DEFAULT '',
    parent_id TEXT NOT NULL DEFAULT '',    -- the series this one was split from ("this and following"), so its subscribers keep it   -- UID of the imported event it came from, so a file imports once
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX series_community ON series (community_id);
CREATE INDEX series_materialized ON series (materialized_until);
CREATE INDEX series_source ON series (community_id, source_uid);

CREATE TABLE series_hosts (
    series_id TEXT NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (series_id, account_id)
);

-- People who said "all upcoming in this series": new occurrences get their RSVP too.
CREATE TABLE series_followers (
    series_id TEXT NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (series_id, account_id)
);

-- One occurrence, with a stable id that RSVPs, goals and attendance attach to.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    series_id TEXT NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    occurrence TEXT NOT NULL,              -- the series date it stands for (YYYY-MM-DD in the series' zone)
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    format_name TEXT NOT NULL,
    phases TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    capacity BIGINT NOT NULL DEFAULT 0,
    place TEXT NOT NULL,
    video_url TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en',
    status TEXT NOT NULL DEFAULT 'scheduled', -- scheduled | cancelled
    detached BIGINT NOT NULL DEFAULT 0,    -- 1 once edited, moved or cancelled on its own: series edits leave it be
    sequence BIGINT NOT NULL DEFAULT 0,    -- iCalendar SEQUENCE, bumped on every change
    going_count BIGINT NOT NULL DEFAULT 0, -- kept with the RSVPs, for listings
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (series_id, occurrence)
);
-- With the id, so "soonest first" pages straight off the index, no sort.
CREATE INDEX sessions_starts ON sessions (starts_at, id);
CREATE INDEX sessions_community_starts ON sessions (community_id, starts_at, id);

CREATE TABLE rsvps (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status TEXT NOT NULL,                  -- going | waitlisted | cancelled
    position BIGINT NOT NULL,              -- order of arrival: the waitlist is served in this order
    late BIGINT NOT NULL DEFAULT 0,        -- cancelled less than 2 hours before the start
    attendance TEXT NOT NULL DEFAULT '',   -- '' | attended | no_show
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, account_id)
);
CREATE INDEX rsvps_account ON rsvps (account_id, status);

-- The secret address of a person's own calendar feed (only its hash is kept).
CREATE TABLE calendar_feeds (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
