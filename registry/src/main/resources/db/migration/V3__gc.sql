-- Garbage collection.

-- When a manifest was deleted from a repository: its referrers are collected a delay after that, not after their
-- own push. Written by every manifest deletion, overwritten by a later one; dropped by the collector once no
-- referrer names the digest.
CREATE TABLE deleted_manifests (
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    digest VARCHAR(200) ${binary} NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (repository_id, digest)
);

-- Counts collections that deleted manifests, so that a server caching manifests without expiry (SQLite) notices
-- deletions made by another process (berth gc).
CREATE TABLE gc_state (
    id INTEGER PRIMARY KEY,
    manifest_epoch BIGINT NOT NULL
);
INSERT INTO gc_state (id, manifest_epoch) VALUES (1, 0);
