-- Whether a tunnel has a preshared key (kept, like its private key, in a root-only key file).
ALTER TABLE wg ADD COLUMN preshared_key INTEGER NOT NULL DEFAULT 0 CHECK (preshared_key IN (0, 1));
