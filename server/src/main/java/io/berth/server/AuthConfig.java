package io.berth.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Who may do what. Authentication is on as soon as any source of identities is configured: an htpasswd file,
 * users in the config, or an external token issuer. Without one, everyone is anonymous and may do everything.
 *
 * @param htpasswd   bcrypt htpasswd file, or null
 * @param users      users with bcrypt password hashes and their groups
 * @param groups     group name to member user names (lets htpasswd users join groups)
 * @param access     rules: repository globs, subjects, actions; empty means "authenticated callers may do
 *                   everything, anonymous callers nothing"
 * @param service    the token service name: the audience of issued tokens and the challenge's {@code service}
 * @param issuer     the {@code iss} of issued tokens
 * @param realm      the token endpoint URL in challenges; null derives it from each request's scheme and host
 * @param tokenTtl   lifetime of issued access tokens
 * @param externalIssuers token issuers whose tokens are accepted besides Berth's own
 * @param trustedProxies  addresses or CIDR ranges of reverse proxies whose {@code X-Forwarded-For} and
 *                        {@code X-Forwarded-Proto}/{@code -Host} are believed (for throttling, audit and the realm)
 * @param signingKey      PEM private key that signs Berth's tokens, shared by the nodes; null: a key generated in
 *                        the data directory on first start (one node)
 * @param verificationKeys PEM keys whose tokens are accepted besides the signing key's and published with it (key
 *                         rotation)
 */
public record AuthConfig(Path htpasswd, List<User> users, Map<String, List<String>> groups, List<AccessRule> access,
                         String service, String issuer, String realm, Duration tokenTtl,
                         List<ExternalIssuer> externalIssuers, List<String> trustedProxies, Path signingKey,
                         List<Path> verificationKeys) {

    public static final AuthConfig NONE = new AuthConfig(null, List.of(), Map.of(), List.of(), "berth", "berth",
            null, Duration.ofMinutes(5), List.of(), List.of(), null, List.of());

    public AuthConfig {
        users = List.copyOf(users);
        groups = Map.copyOf(groups);
        access = List.copyOf(access);
        externalIssuers = List.copyOf(externalIssuers);
        trustedProxies = List.copyOf(trustedProxies);
        verificationKeys = List.copyOf(verificationKeys);
    }

    /** A configured user: name, bcrypt hash (never a clear password), groups. */
    public record User(String name, String passwordHash, List<String> groups) {
        public User {
            groups = List.copyOf(groups);
        }
    }

    /**
     * Grants {@code actions} (pull, push, delete, admin) on repositories matching any of {@code repositories}
     * (globs: {@code *} within one path segment, {@code **} across segments) to any of {@code subjects}
     * ({@code user:NAME}, {@code group:NAME}, {@code robot:NAME}, {@code anonymous}, {@code authenticated}).
     */
    public record AccessRule(List<String> repositories, List<String> subjects, List<String> actions) {
        public AccessRule {
            repositories = List.copyOf(repositories);
            subjects = List.copyOf(subjects);
            actions = List.copyOf(actions);
        }
    }

    /**
     * A token service whose JWTs are accepted: tokens with this {@code iss} and {@code aud}, signed by the PEM
     * public key or by a key of the JWKS file.
     */
    public record ExternalIssuer(String issuer, String audience, Path publicKey, Path jwks) {
    }

    public boolean enabled() {
        return htpasswd != null || !users.isEmpty() || !externalIssuers.isEmpty();
    }

    public AuthConfig withHtpasswd(Path file) {
        return new AuthConfig(file, users, groups, access, service, issuer, realm, tokenTtl, externalIssuers,
                trustedProxies, signingKey, verificationKeys);
    }

    public AuthConfig withUsers(List<User> users) {
        return new AuthConfig(htpasswd, users, groups, access, service, issuer, realm, tokenTtl, externalIssuers,
                trustedProxies, signingKey, verificationKeys);
    }

    public AuthConfig withGroups(Map<String, List<String>> groups) {
        return new AuthConfig(htpasswd, users, groups, access, service, issuer, realm, tokenTtl, externalIssuers,
                trustedProxies, signingKey, verificationKeys);
    }

    public AuthConfig withAccess(List<AccessRule> access) {
        return new AuthConfig(htpasswd, users, groups, access, service, issuer, realm, tokenTtl, externalIssuers,
                trustedProxies, signingKey, verificationKeys);
    }

    public AuthConfig withToken(String service, String issuer, String realm, Duration tokenTtl) {
        return new AuthConfig(htpasswd, users, groups, access, service, issuer, realm, tokenTtl, externalIssuers,
                trustedProxies, signingKey, verificationKeys);
    }

    public AuthConfig withTrustedProxies(List<String> trustedProxies) {
        return new AuthConfig(htpasswd, users, groups, access, service, issuer, realm, tokenTtl, externalIssuers,
                trustedProxies, signingKey, verificationKeys);
    }

    public AuthConfig withExternalIssuers(List<ExternalIssuer> externalIssuers) {
        return new AuthConfig(htpasswd, users, groups, access, service, issuer, realm, tokenTtl, externalIssuers,
                trustedProxies, signingKey, verificationKeys);
    }

    public AuthConfig withSigningKeys(Path signingKey, List<Path> verificationKeys) {
        return new AuthConfig(htpasswd, users, groups, access, service, issuer, realm, tokenTtl, externalIssuers,
                trustedProxies, signingKey, verificationKeys);
    }
}
