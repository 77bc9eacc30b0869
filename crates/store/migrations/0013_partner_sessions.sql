-- The partners' own sessions (issue 12): a pair's live room, who came, swaps
-- when a partner does not, reports of a partner.

-- A pair's room is a session of this community, whose id is the match's. The
-- community has no members and is private, so its sessions list nowhere
-- (schedules, feeds, digests, search, /near); only the people matched may
-- enter. Its slug is one no one can choose (an underscore).
INSERT INTO communities (id, slug, name, description, topics, search_text, code_of_conduct, conduct_contact, visibility, join_policy, time_zone, created_at, updated_at)
VALUES ('_partners', '_partners', 'Partner sessions', '', '', '', '', '', 'private', 'invite', 'UTC', 0, 0);

-- When someone left alone in their pair's room asked to work with someone else.
ALTER TABLE partner_bookings ADD COLUMN swap_asked_at BIGINT NOT NULL DEFAULT 0;

-- A report of a partner, to the pool's conduct contacts and organizers (the
-- instance's admins for the instance-wide pool).
CREATE TABLE partner_reports (
    id TEXT PRIMARY KEY,
    pool TEXT NOT NULL,
    match_id TEXT NOT NULL,
    reporter_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reported_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (reporter_id, reported_id, match_id)
);
CREATE INDEX partner_reports_pool ON partner_reports (pool, created_at);
