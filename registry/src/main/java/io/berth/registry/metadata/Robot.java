package io.berth.registry.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A robot account: a named credential that may perform {@code actions} on repositories matching
 * {@code repositories} (glob patterns). Only the SHA-256 hash of its token is kept.
 *
 * @param tokenHash lowercase hex SHA-256 of the token
 * @param expiresAt null when the robot never expires
 */
public record Robot(String name, String tokenHash, List<String> repositories, List<String> actions,
                    Instant createdAt, Instant expiresAt) {

    public Robot {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tokenHash, "tokenHash");
        repositories = List.copyOf(repositories);
        actions = List.copyOf(actions);
        Objects.requireNonNull(createdAt, "createdAt");
    }

    public boolean expiredAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }
}
