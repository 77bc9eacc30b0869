-- Accounts, sign-in, communities and memberships.
-- Portable DDL: TEXT ids, BIGINT unix seconds, 0/1 BIGINT flags, so one SQL
-- text serves SQLite and PostgreSQL alike.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,            -- lower case
    display_name TEXT NOT NULL,
    pronouns TEXT NOT NULL DEFAULT '',
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    time_zone_confirmed BIGINT NOT NULL DEFAULT 0, -- 0 until the person saves one: pages then propose the browser's
    locale TEXT NOT NULL DEFAULT 'en',
    bio TEXT NOT NULL DEFAULT '',
    social_preference TEXT NOT NULL DEFAULT 'either', -- quiet | social | either
    password_hash TEXT,                    -- argon2id PHC string; NULL when the person only uses e-mail links
    is_admin BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Magic links: only a SHA-256 of the token is kept, so a leaked table signs nobody in.
CREATE TABLE login_links (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    next TEXT NOT NULL DEFAULT ''          -- the page to return to after signing in
);
CREATE INDEX login_links_expiry ON login_links (expires_at);

CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions (account_id);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE TABLE communities (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    topics TEXT NOT NULL DEFAULT '',       -- comma separated, lower case
    search_text TEXT NOT NULL DEFAULT '',  -- name, description and topics, lower-cased by us: SQLite's LOWER() folds only ASCII
    code_of_conduct TEXT NOT NULL,
    conduct_contact TEXT NOT NULL DEFAULT '',
    visibility TEXT NOT NULL,              -- public | unlisted | private
    join_policy TEXT NOT NULL,             -- open | approval | invite
    time_zone TEXT NOT NULL,
    link_chat TEXT NOT NULL DEFAULT '',
    link_newsletter TEXT NOT NULL DEFAULT '',
    link_website TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX communities_directory ON communities (visibility, name);

CREATE TABLE memberships (
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL,                    -- member | host | organizer | owner
    status TEXT NOT NULL,                  -- active | pending | removed (by an organizer: may not rejoin)
    conduct_accepted_at BIGINT NOT NULL,   -- when this person accepted the code of conduct
    requested_at BIGINT NOT NULL,
    joined_at BIGINT,                      -- NULL while pending
    PRIMARY KEY (community_id, account_id)
);
CREATE INDEX memberships_account ON memberships (account_id);

-- Invite links: the code is shown once to the organizer who made it; only its hash stays.
CREATE TABLE invites (
    id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    max_uses BIGINT NOT NULL,              -- 0: unlimited
    uses BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT
);
CREATE INDEX invites_community ON invites (community_id);

-- Every mail cowork sends. With no SMTP server configured this is the outbox
-- that instance admins read; with one, bodies are not kept.
CREATE TABLE mail (
    id TEXT PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    transport TEXT NOT NULL,               -- outbox | smtp
    status TEXT NOT NULL,                  -- stored | sent | failed
    error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_created ON mail (created_at);

-- Fixed-window counters for rate limits, shared by every node.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
