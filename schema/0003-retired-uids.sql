-- The uids of removed subus whose files may remain (a kept home above all).
-- Such a uid is never handed to a subu of another name; the same name made
-- again by the same owner gets it back. A row lapses once nothing the uid
-- owned is left where subu looks (its home, the shared writable directories).
CREATE TABLE retired_uid (
    uid        INTEGER PRIMARY KEY NOT NULL CHECK (uid >= 0),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 3 AND 31),
    masu       TEXT NOT NULL,
    -- The owner's uid when the subu was removed: a later user of the same
    -- name is another person. NULL when the owner was already gone.
    masu_uid   INTEGER CHECK (masu_uid IS NULL OR masu_uid >= 0),
    home       TEXT NOT NULL,
    retired_at INTEGER NOT NULL
) STRICT;
CREATE INDEX retired_uid_by_name ON retired_uid(name);
