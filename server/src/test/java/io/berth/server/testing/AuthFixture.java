package io.berth.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.berth.server.AuthConfig;
import io.berth.server.Config;
import io.berth.server.protocol.RegistryClient;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A registry with authentication: users alice (group dev), bob and carol, each with password "NAME-password";
 * dev may pull, push and delete under {@code team/**}, bob may pull there, carol may pull and push under
 * {@code carol/**}, and anyone may pull under {@code public/**}, where dev may push.
 */
public final class AuthFixture {
    private AuthFixture() {
    }

    public static Config secured(Config config) {
        return config.withAuth(auth());
    }

    public static AuthConfig auth() {
        return AuthConfig.NONE
                .withUsers(List.of(user("alice", List.of("dev")), user("bob", List.of()), user("carol", List.of())))
                .withAccess(List.of(
                        rule("team/**", "group:dev", "pull", "push", "delete"),
                        rule("team/**", "user:bob", "pull"),
                        rule("carol/**", "user:carol", "pull", "push"),
                        rule("public/**", "anonymous", "pull"),
                        rule("public/**", "group:dev", "push")));
    }

    public static String password(String user) {
        return user + "-password";
    }

    /** bcrypt at the lowest cost, so tests stay fast; the server accepts any cost. */
    public static String bcrypt(String password) {
        return BCrypt.withDefaults().hashToString(4, password.toCharArray());
    }

    private static AuthConfig.User user(String name, List<String> groups) {
        return new AuthConfig.User(name, bcrypt(password(name)), groups);
    }

    public static AuthConfig.AccessRule rule(String repositories, String subject, String... actions) {
        return new AuthConfig.AccessRule(List.of(repositories), List.of(subject), List.of(actions));
    }

    public static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    public static String basic(String user) {
        return basic(user, password(user));
    }

    /** A token from {@code GET /token} for the user (null: anonymous) and scopes, asserting 200. */
    public static String token(RegistryClient registry, String user, String... scopes) {
        HttpResponse<byte[]> response = tokenResponse(registry, user, scopes);
        assertThat(response.statusCode()).as("GET /token: %s", RegistryClient.body(response)).isEqualTo(200);
        return RegistryClient.json(response).get("token").asString();
    }

    public static HttpResponse<byte[]> tokenResponse(RegistryClient registry, String user, String... scopes) {
        StringBuilder query = new StringBuilder("/token?service=berth");
        for (String scope : scopes) {
            query.append("&scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        }
        return user == null ? registry.get(query.toString())
                : registry.get(query.toString(), "Authorization", basic(user));
    }

    public static String bearer(String token) {
        return "Bearer " + token;
    }

    /** The parameters of a {@code WWW-Authenticate: Bearer ...} challenge. */
    public static Map<String, String> challenge(HttpResponse<?> response) {
        String header = RegistryClient.header(response, "WWW-Authenticate");
        assertThat(header).as("WWW-Authenticate").isNotNull().startsWith("Bearer ");
        Map<String, String> parameters = new java.util.LinkedHashMap<>();
        var m = java.util.regex.Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(header.substring("Bearer ".length()));
        while (m.find()) {
            parameters.put(m.group(1), m.group(2));
        }
        return parameters;
    }

    /**
     * Writes a new token signing key to {@code file} as {@code openssl genpkey} would (a P-256 key in a PKCS#8
     * PRIVATE KEY block alone): the file several nodes are given as {@code auth.token.signingKey}.
     */
    public static Path signingKey(Path file) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        return Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    }
}
