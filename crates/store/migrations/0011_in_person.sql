-- In person (issue 11): sessions at a place, hybrid sessions with separate
-- in-person and online limits, coworking days that members propose, check-in
-- at the door and a place's daily log.

-- A free-text address becomes a place of its community, reused by every
-- session of the series; a session moved to another address gets its own.
INSERT INTO places (id, community_id, owner_id, name, kind, address, area, city, country, lat_e6, lon_e6, time_zone,
                    access, amenities, access_notes, seats, house_rules, opening_hours, created_at, updated_at)
SELECT 'pl' || id, community_id, NULL, substr(address, 1, 100), 'other', address, '', '', '', NULL, NULL, time_zone,
       '', '', '', 0, '', '[[],[],[],[],[],[],[]]', created_at, updated_at
FROM series WHERE place = 'in_person' AND address <> '';

INSERT INTO places (id, community_id, owner_id, name, kind, address, area, city, country, lat_e6, lon_e6, time_zone,
                    access, amenities, access_notes, seats, house_rules, opening_hours, created_at, updated_at)
SELECT 'pl' || s.id, s.community_id, NULL, substr(s.address, 1, 100), 'other', s.address, '', '', '', NULL, NULL, s.time_zone,
       '', '', '', 0, '', '[[],[],[],[],[],[],[]]', s.created_at, s.updated_at
FROM sessions s WHERE s.place = 'in_person' AND s.address <> ''
  AND NOT EXISTS (SELECT 1 FROM places p WHERE p.id = 'pl' || s.series_id AND p.address = s.address);

UPDATE sessions SET address = CASE WHEN EXISTS (SELECT 1 FROM places p WHERE p.id = 'pl' || sessions.id)
                                   THEN 'pl' || sessions.id ELSE 'pl' || sessions.series_id END
WHERE place = 'in_person' AND address <> '';
UPDATE series SET address = 'pl' || id WHERE place = 'in_person' AND address <> '';

ALTER TABLE series RENAME COLUMN address TO place_id;    -- a places.id, or '' when online only
ALTER TABLE sessions RENAME COLUMN address TO place_id;
-- place: online | in_person | hybrid. capacity is the in-person limit when
-- there is a place; online_capacity the online one of a hybrid session.
ALTER TABLE series ADD COLUMN online_capacity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN online_capacity BIGINT NOT NULL DEFAULT 0;
-- going_count counts seats in person (a guest takes one too); online_going the online places.
ALTER TABLE sessions ADD COLUMN online_going BIGINT NOT NULL DEFAULT 0;
-- call | coworking_day | drop_in | open_house
ALTER TABLE series ADD COLUMN kind TEXT NOT NULL DEFAULT 'call';
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'call';
-- approved | pending | declined: a member's proposed day waits for an organizer where the community asks so.
ALTER TABLE series ADD COLUMN approval TEXT NOT NULL DEFAULT 'approved';
CREATE INDEX sessions_place ON sessions (place_id, starts_at);

-- Who may host coworking days: organizers | hosts | members | members_approved
ALTER TABLE communities ADD COLUMN day_hosts TEXT NOT NULL DEFAULT 'members_approved';

-- A space's drop-in seats a day, whether a first visit is a free trial, and
-- the secret its code of the day is made from.
ALTER TABLE places ADD COLUMN drop_in_seats BIGINT NOT NULL DEFAULT 0;
ALTER TABLE places ADD COLUMN free_trial BIGINT NOT NULL DEFAULT 0;
ALTER TABLE places ADD COLUMN day_secret TEXT NOT NULL DEFAULT '';

-- Going in person or online (hybrid); the personal check-in code; a guest they bring.
ALTER TABLE rsvps ADD COLUMN online BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rsvps ADD COLUMN checkin_code TEXT NOT NULL DEFAULT '';
ALTER TABLE rsvps ADD COLUMN guest_name TEXT NOT NULL DEFAULT '';
CREATE INDEX rsvps_checkin_code ON rsvps (session_id, checkin_code);

-- Someone arriving at a place: by their code, from the host's list, as a
-- walk-in, or by the code of the day. The place's daily log.
CREATE TABLE checkins (
    id TEXT PRIMARY KEY,
    place_id TEXT NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    day TEXT NOT NULL,                     -- YYYY-MM-DD in the place's zone
    session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    account_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    guest_of TEXT NOT NULL DEFAULT '',     -- the name of the person they came with
    first_visit BIGINT NOT NULL DEFAULT 0,
    how TEXT NOT NULL,                     -- code | list | walk_in | day_code
    checked_in_by TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE INDEX checkins_day ON checkins (place_id, day, at);
CREATE UNIQUE INDEX checkins_once ON checkins (session_id, account_id, guest_of);
CREATE INDEX checkins_account ON checkins (account_id, place_id);

-- Registrations by name and e-mail, waiting for their confirmation link.
CREATE TABLE pending_rsvps (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    guest_name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
