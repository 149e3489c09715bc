package io.berth.client;

/** What the client signs in with; anonymous access is the absence of credentials. */
public sealed interface Credentials {
    /** A user name and password (or a robot token as the password), sent as Basic or traded for a bearer token. */
    record Basic(String username, String password) implements Credentials {
        @Override
        public String toString() {
            return "Basic[" + username + "]";
        }
    }

    /** A refresh token (Docker's {@code identitytoken}), traded for access tokens with OAuth2's refresh grant. */
    record IdentityToken(String token) implements Credentials {
        @Override
        public String toString() {
            return "IdentityToken[…]";
        }
    }
}
