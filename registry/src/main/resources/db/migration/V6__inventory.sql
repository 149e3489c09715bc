-- The management API lists a repository's manifests by push time, newest (or oldest) first, a page at a time.
CREATE INDEX manifests_by_push ON manifests (repository_id, created_at, digest);
