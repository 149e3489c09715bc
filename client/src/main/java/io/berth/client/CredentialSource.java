package io.berth.client;

import java.io.IOException;
import java.util.Optional;

/** Finds the credentials for a registry host ({@code host[:port]}); empty means anonymous. */
@FunctionalInterface
public interface CredentialSource {
    CredentialSource ANONYMOUS = registry -> Optional.empty();

    Optional<Credentials> credentialsFor(String registry) throws IOException;

    static CredentialSource of(Credentials credentials) {
        return registry -> Optional.of(credentials);
    }
}
