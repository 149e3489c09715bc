-- Lifecycle policies set through the admin API, shared by every server on the database (policies from the config
-- file are not stored): the repository glob each governs and its Amazon ECR policy JSON as given.

CREATE TABLE lifecycle_policies (
    repositories VARCHAR(255) ${binary} PRIMARY KEY,
    policy TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
