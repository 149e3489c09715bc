-- Robot accounts: named, scoped, expiring credentials for CI and automation. Only a SHA-256 hash of each token
-- is kept. repositories and actions are JSON arrays of strings; expires_at is null for tokens that never expire.

CREATE TABLE robots (
    name VARCHAR(64) ${binary} PRIMARY KEY,
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    repositories TEXT NOT NULL,
    actions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
