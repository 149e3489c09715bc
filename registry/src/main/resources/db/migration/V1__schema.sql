-- Berth metadata schema. Plain SQL for SQLite and PostgreSQL; ${...} placeholders are filled per dialect
-- (${id}: an auto-assigned BIGINT key, ${bytes}: a binary column, ${binary}: byte-order collation).
-- Times are epoch milliseconds.

CREATE TABLE repositories (
    id ${id},
    name VARCHAR(255) ${binary} NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- Every committed blob, once for the whole registry.
CREATE TABLE blobs (
    digest VARCHAR(200) PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Which repository may serve which blob.
CREATE TABLE repository_blobs (
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    digest VARCHAR(200) NOT NULL REFERENCES blobs (digest),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repository_id, digest)
);
CREATE INDEX repository_blobs_by_digest ON repository_blobs (digest);

CREATE TABLE manifests (
    id ${id},
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    digest VARCHAR(200) ${binary} NOT NULL,
    media_type VARCHAR(255) NOT NULL,
    artifact_type VARCHAR(255),
    subject_digest VARCHAR(200),
    size BIGINT NOT NULL,
    annotations TEXT,
    payload ${bytes} NOT NULL,
    created_at BIGINT NOT NULL,
    last_pulled_at BIGINT,
    UNIQUE (repository_id, digest)
);
CREATE INDEX manifests_by_subject ON manifests (repository_id, subject_digest, digest);

-- What each manifest points at: configs and layers (blobs) and index children (manifests).
CREATE TABLE manifest_references (
    manifest_id BIGINT NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    digest VARCHAR(200) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    PRIMARY KEY (manifest_id, digest, kind)
);
CREATE INDEX manifest_references_by_digest ON manifest_references (digest);

CREATE TABLE tags (
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    name VARCHAR(128) ${binary} NOT NULL,
    manifest_id BIGINT NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repository_id, name)
);
CREATE INDEX tags_by_manifest ON tags (manifest_id);

CREATE TABLE uploads (
    id VARCHAR(64) PRIMARY KEY,
    repository VARCHAR(255) NOT NULL,
    size BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX uploads_by_update ON uploads (updated_at);
