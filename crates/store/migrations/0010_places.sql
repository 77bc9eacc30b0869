-- Places where people meet in person (issue 11): a home, a café, a library,
-- a coworking space. A place belongs to a community or to an account (a
-- space operator) and is reused across sessions. Positions are kept in
-- millionths of a degree, as integers, the same on both databases.
CREATE TABLE places (
    id TEXT PRIMARY KEY,
    community_id TEXT REFERENCES communities (id) ON DELETE CASCADE,
    owner_id TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,                    -- home | cafe | library | coworking_space | office | other
    address TEXT NOT NULL,                 -- private for a home: see core::places::whereabouts
    area TEXT NOT NULL,                    -- the neighbourhood
    city TEXT NOT NULL,
    country TEXT NOT NULL,                 -- ISO 3166 code
    lat_e6 BIGINT,                         -- NULL when not given
    lon_e6 BIGINT,
    time_zone TEXT NOT NULL,
    access TEXT NOT NULL,                  -- comma-separated core::places::Access names
    amenities TEXT NOT NULL,               -- comma-separated core::places::Amenity names
    access_notes TEXT NOT NULL,
    seats BIGINT NOT NULL,
    house_rules TEXT NOT NULL,
    opening_hours TEXT NOT NULL,           -- JSON of core::places::OpeningHours
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (community_id IS NOT NULL OR owner_id IS NOT NULL)
);
CREATE INDEX places_community ON places (community_id, name);
CREATE INDEX places_owner ON places (owner_id, name);
CREATE INDEX places_position ON places (lat_e6, lon_e6);
