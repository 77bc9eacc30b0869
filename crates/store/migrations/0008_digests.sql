-- Digests and rotas (issue 9). The communities each person chose a weekly
-- digest of; no row: no digest from that community (opt-in, one at a time).
CREATE TABLE weekly_digests (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, community_id)
);
CREATE INDEX weekly_digests_community ON weekly_digests (community_id);

-- Who hosts one session, when a series has several hosts taking turns (a
-- rota): one of them, taken or assigned. A series with one host needs none.
CREATE TABLE session_hosts (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    assigned_at BIGINT NOT NULL
);
