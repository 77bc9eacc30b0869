-- Webhooks of communities (issue 9): where a community's chat tools hear of
-- new series, sessions about to start, cancellations and the week's schedule.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,                      -- slack | discord | matrix | generic
    url TEXT NOT NULL,
    events TEXT NOT NULL,                    -- event names separated by spaces
    secret TEXT NOT NULL DEFAULT '',         -- generic: the signing secret; matrix: the access token
    enabled BIGINT NOT NULL DEFAULT 1,
    failing_since BIGINT NOT NULL DEFAULT 0, -- first failure since the last success (0: not failing)
    last_error TEXT NOT NULL DEFAULT '',
    last_delivery BIGINT NOT NULL DEFAULT 0, -- last successful delivery
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_community ON webhooks (community_id);
