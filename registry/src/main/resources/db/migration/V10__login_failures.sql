-- Failed logins, kept where every node sees them, so that the login throttle counts the guesses sent to any node.
-- source is a 64-bit hash of the client's address and credential one of the user name and password tried: neither
-- is stored. A source's rows are forgotten together, once its last counted failure is older than the window.

CREATE TABLE login_failures (
    source BIGINT NOT NULL,
    credential BIGINT NOT NULL,
    failed_at BIGINT NOT NULL,
    PRIMARY KEY (source, credential)
);
