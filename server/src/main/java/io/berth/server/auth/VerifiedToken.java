package io.berth.server.auth;

import java.time.Instant;
import java.util.List;

/**
 * A bearer token whose signature, issuer, audience and lifetime checked out.
 *
 * @param own     issued by this registry (its subject is a Berth user or robot)
 * @param access  the token's {@code access} claim
 */
public record VerifiedToken(String issuer, String subject, List<Scope> access, Instant expiresAt, boolean own) {

    public VerifiedToken {
        access = List.copyOf(access);
    }

    public boolean allows(String type, String name, String action) {
        for (Scope scope : access) {
            if (scope.type().equals(type) && scope.name().equals(name) && scope.allows(action)) {
                return true;
            }
        }
        return false;
    }
}
