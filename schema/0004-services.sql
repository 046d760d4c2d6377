-- System services attached to a subu: each runs in the subu's network namespace as `user`, the
-- subu's own user or a descendant's. A unit is attached to one subu at most; a subu that has
-- services (or whose user runs one) cannot be removed until they are detached.
CREATE TABLE service (
    unit TEXT PRIMARY KEY NOT NULL CHECK (length(unit) BETWEEN 9 AND 255 AND unit LIKE '%.service'),
    subu INTEGER NOT NULL REFERENCES subu(num) ON DELETE RESTRICT,
    user TEXT NOT NULL CHECK (length(user) BETWEEN 3 AND 31)
) STRICT;
CREATE INDEX service_by_subu ON service(subu);
CREATE INDEX service_by_user ON service(user);
