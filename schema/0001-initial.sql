-- subu state store, version 1: subus, WireGuard tunnels, the pool, per-subu options.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- A subu. "state" is the lifecycle of the row itself, so a crash half-way
-- through make or remove is finished or undone when the manager starts.
CREATE TABLE subu (
    num        INTEGER PRIMARY KEY NOT NULL CHECK (num >= 1),
    name       TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 3 AND 31),
    masu       TEXT NOT NULL,
    parent     INTEGER REFERENCES subu(num) ON DELETE RESTRICT,
    uid        INTEGER CHECK (uid IS NULL OR uid >= 0),
    state      TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'removing')),
    network    TEXT NOT NULL DEFAULT 'down' CHECK (network IN ('up', 'down')),
    loopback   TEXT NOT NULL DEFAULT 'down' CHECK (loopback IN ('up', 'down')),
    -- The home directory was there before the subu was made (kept by an
    -- earlier remove): undoing a failed make must not delete it.
    home_kept  INTEGER NOT NULL DEFAULT 0 CHECK (home_kept IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX subu_by_parent ON subu(parent);
CREATE INDEX subu_by_masu ON subu(masu);

-- A WireGuard tunnel from the pool. Private keys are never stored here.
CREATE TABLE wg (
    num               INTEGER PRIMARY KEY NOT NULL CHECK (num >= 1),
    endpoint          TEXT NOT NULL,
    address           TEXT NOT NULL UNIQUE,
    public_key        TEXT,
    server_public_key TEXT,
    dns               TEXT,
    mtu               INTEGER NOT NULL DEFAULT 1420,
    allowed_ips       TEXT NOT NULL DEFAULT '0.0.0.0/0,::/0',
    keepalive         INTEGER,
    state             TEXT NOT NULL DEFAULT 'down' CHECK (state IN ('up', 'down')),
    subu              INTEGER UNIQUE REFERENCES subu(num) ON DELETE SET NULL
) STRICT;

CREATE TABLE options (
    subu  INTEGER NOT NULL REFERENCES subu(num) ON DELETE CASCADE,
    name  TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (subu, name)
) STRICT;
