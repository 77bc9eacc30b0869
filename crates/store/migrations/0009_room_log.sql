-- One room across nodes (issue 10). Every change to a live room is written
-- with its per-room `seq` in the same transaction as the change: the room's
-- ordered log, which every node reads from when it missed something.
-- Presence lives here too, so that every node sees the same people.

-- The last `seq` given in each room, and the instant of its event (instants
-- rise with `seq`, whichever node wrote it).
ALTER TABLE room_state ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE room_state ADD COLUMN last_ms BIGINT NOT NULL DEFAULT 0;

-- Each event as clients get it (a JSON frame carrying its `seq`); kept a day
-- for nodes that fell behind, then purged.
CREATE TABLE room_events (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE INDEX room_events_at ON room_events (at_ms);

-- Who is in each room now (JSON of the person as the room shows them),
-- whichever node they are connected to.
CREATE TABLE room_people (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    person TEXT NOT NULL,
    joined_seq BIGINT NOT NULL,
    PRIMARY KEY (session_id, account_id)
);

-- Each person's open connections to a room, per node process.
CREATE TABLE room_connections (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    node TEXT NOT NULL,
    conns BIGINT NOT NULL,
    PRIMARY KEY (session_id, account_id, node)
);
CREATE INDEX room_connections_node ON room_connections (node);

-- Each node process's last heartbeat: a node silent for long is gone, and
-- its people leave their rooms.
CREATE TABLE room_nodes (
    node TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
