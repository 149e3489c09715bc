-- A repository's summary, kept up to date by every write in the transaction of the write, so that listing and
-- sorting repositories reads one row each instead of all their manifests, tags and links.
--   size_bytes:     its manifests' bytes and those of the blobs it links, each linked blob once
--   image_count:    manifests without a subject, less those an index of the repository lists
--   tag_count, referrer_count (manifests with a subject)
--   pushed_at:      the last manifest pushed or tag set, also when since deleted; 0 when none was
--   pulled_at:      the last manifest pulled, also when since deleted; null when none was
ALTER TABLE repositories ADD COLUMN size_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE repositories ADD COLUMN image_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE repositories ADD COLUMN tag_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE repositories ADD COLUMN referrer_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE repositories ADD COLUMN pushed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE repositories ADD COLUMN pulled_at BIGINT;

-- The blob's size on each link: a namespace's usage sums its links without looking each blob up.
ALTER TABLE repository_blobs ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
UPDATE repository_blobs SET size = (SELECT b.size FROM blobs b WHERE b.digest = repository_blobs.digest);

UPDATE repositories SET
    size_bytes = (SELECT COALESCE(SUM(rb.size), 0) FROM repository_blobs rb WHERE rb.repository_id = repositories.id)
        + (SELECT COALESCE(SUM(m.size), 0) FROM manifests m WHERE m.repository_id = repositories.id),
    image_count = (SELECT COUNT(*) FROM manifests m WHERE m.repository_id = repositories.id
        AND m.subject_digest IS NULL AND NOT EXISTS (SELECT 1 FROM manifest_references cr CROSS JOIN manifests cp
        WHERE cp.id = cr.manifest_id AND cr.digest = m.digest AND cr.kind = 'child'
        AND cp.repository_id = m.repository_id)),
    tag_count = (SELECT COUNT(*) FROM tags t WHERE t.repository_id = repositories.id),
    referrer_count = (SELECT COUNT(*) FROM manifests m WHERE m.repository_id = repositories.id
        AND m.subject_digest IS NOT NULL),
    pushed_at = (SELECT COALESCE(MAX(u.at), 0) FROM (SELECT created_at AS at FROM manifests
        WHERE repository_id = repositories.id UNION ALL SELECT updated_at FROM tags
        WHERE repository_id = repositories.id) u),
    pulled_at = (SELECT MAX(m.last_pulled_at) FROM manifests m WHERE m.repository_id = repositories.id);

-- Pages of repositories by size or by last push, largest or newest first and then by name, walk these.
CREATE INDEX repositories_by_size ON repositories (size_bytes DESC, name);
CREATE INDEX repositories_by_push ON repositories (pushed_at DESC, name);

-- The links by digest, with their sizes: a namespace's usage may walk them in digest order to count each blob once.
DROP INDEX repository_blobs_by_digest;
CREATE INDEX repository_blobs_by_digest ON repository_blobs (digest, repository_id, size);
