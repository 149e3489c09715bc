-- The SHA-256 state of an upload session's bytes so far, written by the same update that advances its size, so that
-- whichever server the next chunk reaches goes on hashing from it instead of reading the bytes back. Null when the
-- server could not save one (then the next server re-reads, as before).
ALTER TABLE uploads ADD COLUMN sha256_state ${bytes};
