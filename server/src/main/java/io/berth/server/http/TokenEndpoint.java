package io.berth.server.http;

import io.berth.oci.Names;
import io.berth.registry.ErrorCode;
import io.berth.server.auth.AccessPolicy;
import io.berth.server.auth.Authenticator;
import io.berth.server.auth.Identity;
import io.berth.server.auth.InvalidTokenException;
import io.berth.server.auth.Scope;
import io.berth.server.auth.TokenService;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.FormFields;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The token endpoint of distribution's token auth: {@code GET /token} with Basic credentials or none (anonymous),
 * {@code scope} and {@code offline_token} ({@code docs/spec/auth/token.md}), and the OAuth2 {@code POST /token}
 * with the {@code password} and {@code refresh_token} grants that docker uses ({@code oauth.md}). A token grants
 * the intersection of what was asked and what the caller may do, possibly nothing. Beside it, the public keys that
 * verify the tokens, as a JWKS.
 */
final class TokenEndpoint {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /**
     * How long a verifier may keep the key set. Short enough that a key added for rotation reaches caches well before
     * the nodes sign with it (docs/auth.md says to wait this long between the two steps).
     */
    static final String KEYS_CACHE_CONTROL = "public, max-age=300";

    private final Authenticator authenticator;
    private final AccessPolicy policy;
    private final Clock clock;
    private final Function<Request, Optional<String>> clientCertificate;
    private final ClientOrigin origin;
    private final byte[] publicKeys;

    TokenEndpoint(Authenticator authenticator, AccessPolicy policy, Clock clock,
                  Function<Request, Optional<String>> clientCertificate, ClientOrigin origin) {
        this.authenticator = authenticator;
        this.policy = policy;
        this.clock = clock;
        this.clientCertificate = clientCertificate;
        this.origin = origin;
        this.publicKeys = authenticator.tokens().publicKeys().toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code GET /.well-known/jwks.json}: the public keys that verify this registry's tokens (RFC 7517). */
    void publicKeys(Exchange exchange) {
        exchange.response().getHeaders().put(HttpHeader.CACHE_CONTROL, KEYS_CACHE_CONTROL);
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json", publicKeys);
    }

    /** {@code GET} and {@code POST /token}: answers one token request (blocking: checks passwords). */
    void answer(Exchange exchange) throws Exception {
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json",
                answer(exchange.request()));
    }

    /** The JSON body of a 200 answer to one token request; errors are thrown. */
    byte[] answer(Request request) throws Exception {
        String source = origin.address(request);
        TokenService tokens = authenticator.tokens();
        return switch (request.getMethod()) {
            case "GET" -> get(request, QueryParameters.of(request), source, tokens);
            case "POST" -> post(form(request), source, tokens);
            default -> throw new HttpError(405, ErrorCode.UNSUPPORTED, "use GET or POST");
        };
    }

    /** The OAuth2 form; Jetty refuses malformed percent-encoding and bytes that are not UTF-8 in it as below. */
    private static Fields form(Request request) {
        try {
            return FormFields.getFields(request);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "the form is not valid percent-encoded UTF-8",
                    "malformed percent-encoding, or bytes that are not UTF-8");
        }
    }

    private byte[] get(Request request, Fields query, String source, TokenService tokens) throws Exception {
        checkService(query.getValue("service"), tokens);
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        Identity identity;
        if (authorization == null) {
            identity = clientCertificate.apply(request).map(authenticator::certificateUser).orElse(Identity.ANONYMOUS);
        } else {
            String[] basic = Gate.basic(authorization);
            if (basic == null) {
                throw badCredentials(tokens, "the token endpoint takes Basic credentials or none");
            }
            identity = login(basic[0], basic[1], source, tokens);
        }
        boolean offline = "true".equalsIgnoreCase(query.getValue("offline_token")) && identity.authenticated();
        return issue(identity, Scope.parseAll(query.getValues("scope")), offline, null, tokens);
    }

    private byte[] post(Fields form, String source, TokenService tokens) throws Exception {
        checkService(form.getValue("service"), tokens);
        List<Scope> scopes = Scope.parseAll(form.getValues("scope"));
        String grant = form.getValue("grant_type");
        if ("password".equals(grant)) {
            String username = form.getValue("username");
            String password = form.getValue("password");
            if (username == null || password == null) {
                throw new HttpError(400, ErrorCode.UNSUPPORTED, "the password grant needs username and password");
            }
            Identity identity = login(username, password, source, tokens);
            return issue(identity, scopes, "offline".equals(form.getValue("access_type")), null, tokens);
        }
        if ("refresh_token".equals(grant)) {
            String refresh = form.getValue("refresh_token");
            if (refresh == null) {
                throw new HttpError(400, ErrorCode.UNSUPPORTED, "the refresh_token grant needs a refresh_token");
            }
            Identity identity;
            try {
                identity = authenticator.refresh(refresh, source);
            } catch (InvalidTokenException e) {
                throw new HttpError(401, ErrorCode.UNAUTHORIZED, "refresh token refused: " + e.getMessage()
                        + "; log in again", "invalid refresh token", Map.of());
            }
            return issue(identity, scopes, false, refresh, tokens);
        }
        throw new HttpError(400, ErrorCode.UNSUPPORTED, "grant_type must be password or refresh_token");
    }

    private Identity login(String username, String password, String source, TokenService tokens) throws Exception {
        try {
            return authenticator.password(username, password, source, "token")
                    .orElseThrow(() -> badCredentials(tokens, Gate.WRONG_PASSWORD));
        } catch (Authenticator.ThrottledException e) {
            throw Gate.throttled(e);
        }
    }

    private byte[] issue(Identity identity, List<Scope> requested, boolean offline, String refresh,
                         TokenService tokens) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        List<Scope> granted = grant(identity, requested);
        String token = tokens.issueAccess(identity, granted, now);
        ObjectNode body = JSON.createObjectNode();
        body.put("token", token);
        body.put("access_token", token);
        body.put("expires_in", tokens.ttl().toSeconds());
        body.put("issued_at", now.toString());
        body.put("scope", String.join(" ", granted.stream().map(Scope::toString).toList()));
        if (refresh != null) {
            body.put("refresh_token", refresh);
        } else if (offline) {
            authenticator.refreshToken(identity, now).ifPresent(issued -> body.put("refresh_token", issued));
        }
        return JSON.writeValueAsBytes(body);
    }

    /** What of {@code requested} the identity may have: repository actions by policy, the catalog when known. */
    List<Scope> grant(Identity identity, List<Scope> requested) {
        List<Scope> granted = new ArrayList<>();
        for (Scope scope : requested) {
            if (scope.isRepository() && Names.isValidRepository(scope.name())) {
                Set<String> allowed = policy.allowed(identity, scope.name());
                Set<String> actions = new LinkedHashSet<>();
                for (String action : scope.actions()) {
                    if (action.equals("*")) {
                        actions.addAll(allowed);
                    } else if (allowed.contains(action)) {
                        actions.add(action);
                    }
                }
                if (!actions.isEmpty()) {
                    granted.add(new Scope(scope.type(), scope.name(), actions));
                }
            } else if (scope.type().equals("registry") && scope.name().equals("catalog") && identity.authenticated()) {
                granted.add(new Scope("registry", "catalog", new HashSet<>(Set.of("*"))));
            } else if (scope.type().equals("registry") && scope.name().equals("admin")
                    && policy.allowsEverywhere(identity, "admin")) {
                granted.add(new Scope("registry", "admin", new HashSet<>(Set.of("*"))));
            }
        }
        return granted;
    }

    private static void checkService(String service, TokenService tokens) {
        if (service != null && !service.equals(tokens.service())) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "unknown service '" + service + "'; this registry is '"
                    + tokens.service() + "'");
        }
    }

    private static HttpError badCredentials(TokenService tokens, String message) {
        return new HttpError(401, ErrorCode.UNAUTHORIZED, message, null,
                Map.of(HttpHeader.WWW_AUTHENTICATE.asString(), "Basic realm=\"" + tokens.service() + "\""));
    }
}
