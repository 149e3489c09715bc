-- Raised by every write that changes what a listing of the repository's images shows (manifests, tags, pull times),
-- in its transaction: a page computed at one generation is what any node would compute again until it changes.
ALTER TABLE repositories ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
