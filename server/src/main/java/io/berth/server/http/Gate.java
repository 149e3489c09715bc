package io.berth.server.http;

import io.berth.registry.ErrorCode;
import io.berth.registry.events.Actor;
import io.berth.server.auth.AccessPolicy;
import io.berth.server.auth.AuditLog;
import io.berth.server.auth.Authenticator;
import io.berth.server.auth.Identity;
import io.berth.server.auth.InvalidTokenException;
import io.berth.server.auth.RobotTokens;
import io.berth.server.auth.Scope;
import io.berth.server.auth.VerifiedToken;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Who may pass: finds the caller of each request (anonymous, a user or robot by Basic credentials or client
 * certificate, or the holder of a bearer token) and decides whether the caller may take the action the request
 * needs. A refusal is a 401 with distribution's {@code Bearer} challenge when credentials are missing or the token
 * lacks the scope (so the client fetches a better one), and a 403 {@code DENIED} when the caller is known and not
 * allowed.
 */
final class Gate {
    /** The message of a 401 for a wrong password: clients print it, and Docker Hub's is the one users know. */
    static final String WRONG_PASSWORD = "incorrect username or password";

    /** The action a request needs: on a scope, or just an authenticated caller when {@code scope} is null. */
    record Need(Scope scope, String action) {
        static final Need AUTHENTICATED = new Need(null, null);
        /** Any caller, known or anonymous. */
        static final Need ANYONE = new Need(null, "*");
        /** The admin action on every repository ({@link #administersRegistry}). */
        static final Need ADMIN = new Need(new Scope("registry", "admin", Set.of("*")), "*");
    }

    /** The caller of one request. {@code token} is set for bearer callers, whose access is the token's. */
    record Caller(Identity identity, VerifiedToken token, String source) {
        String subject() {
            return token != null ? token.subject() : identity.subject();
        }

        /** What kind of caller this is in events: a bearer token's subject names a robot by its prefix. */
        Actor.Kind actorKind() {
            String subject = subject();
            if (subject == null || subject.isEmpty()) {
                return Actor.Kind.ANONYMOUS;
            }
            return subject.startsWith(RobotTokens.USER_PREFIX) ? Actor.Kind.ROBOT : Actor.Kind.USER;
        }

        /** The caller's name in events: a robot's without its prefix. */
        String actorName() {
            String subject = subject() == null ? "" : subject();
            return actorKind() == Actor.Kind.ROBOT ? subject.substring(RobotTokens.USER_PREFIX.length()) : subject;
        }
    }

    private final Authenticator authenticator;
    private final AccessPolicy policy;
    private final AuditLog audit;
    private final String service;
    private final String realm;
    private final Function<Request, Optional<String>> clientCertificate;
    private final ClientOrigin origin;

    private Gate(Authenticator authenticator, AccessPolicy policy, AuditLog audit, String service, String realm,
                 Function<Request, Optional<String>> clientCertificate, ClientOrigin origin) {
        this.authenticator = authenticator;
        this.policy = policy;
        this.audit = audit;
        this.service = service;
        this.realm = realm;
        this.clientCertificate = clientCertificate;
        this.origin = origin;
    }

    /** Everyone is anonymous and may do everything. */
    static Gate open(AuditLog audit) {
        return new Gate(null, AccessPolicy.everyone(), audit, null, null, request -> Optional.empty(),
                ClientOrigin.DIRECT);
    }

    /** @param realm the token endpoint URL for challenges; null derives it from each request */
    static Gate secured(Authenticator authenticator, AccessPolicy policy, AuditLog audit, String service, String realm,
                        Function<Request, Optional<String>> clientCertificate, ClientOrigin origin) {
        return new Gate(authenticator, policy, audit, service, realm, clientCertificate, origin);
    }

    boolean enabled() {
        return authenticator != null;
    }

    AuditLog audit() {
        return audit;
    }

    // ---- callers

    /** The caller, from what is already known without blocking; null when credentials still need checking. */
    Caller rememberedCaller(Request request) {
        String source = origin.address(request);
        if (!enabled()) {
            return new Caller(Identity.ANONYMOUS, null, source);
        }
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (authorization == null) {
            return new Caller(clientCertificate.apply(request).map(authenticator::certificateUser)
                    .orElse(Identity.ANONYMOUS), null, source);
        }
        String bearer = credentials(authorization, "Bearer");
        if (bearer != null) {
            VerifiedToken token = authenticator.rememberedBearer(bearer);
            return token == null ? null : bearerCaller(token, source);
        }
        String[] basic = basic(authorization);
        Identity identity = basic == null ? null : authenticator.rememberedPassword(basic[0], basic[1]);
        return identity == null ? null : new Caller(identity, null, source);
    }

    /** The caller, checking credentials (blocking); 401 for bad ones, 429 while the address is throttled. */
    Caller caller(Request request) {
        Caller remembered = rememberedCaller(request);
        if (remembered != null) {
            return remembered;
        }
        String source = origin.address(request);
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String bearer = credentials(authorization, "Bearer");
        if (bearer != null) {
            try {
                return bearerCaller(authenticator.bearer(bearer, source), source);
            } catch (InvalidTokenException e) {
                throw challenge(request, null, "invalid_token", "invalid token: " + e.getMessage());
            }
        }
        String[] basic = basic(authorization);
        if (basic == null) {
            throw challenge(request, null, null, "unsupported or malformed Authorization header");
        }
        try {
            return authenticator.password(basic[0], basic[1], source, "basic")
                    .map(identity -> new Caller(identity, null, source))
                    .orElseThrow(() -> challenge(request, null, null, WRONG_PASSWORD, null));
        } catch (Authenticator.ThrottledException e) {
            throw throttled(e);
        }
    }

    /**
     * The caller of a web UI page: the user or robot of the session cookie, else the client certificate's user, else
     * anonymous. Authorization headers do not count here, and the session cookie nowhere else, so that no API request
     * is made with credentials a browser adds by itself.
     */
    Caller sessionCaller(Request request, String cookie) {
        String source = origin.address(request);
        if (!enabled()) {
            return new Caller(Identity.ANONYMOUS, null, source);
        }
        String session = cookie(request, cookie);
        if (session != null) {
            try {
                return new Caller(authenticator.session(session, source), null, source);
            } catch (InvalidTokenException e) {
                // an expired session, or one of a user whose password changed since: signed out
            }
        }
        return new Caller(clientCertificate.apply(request).map(authenticator::certificateUser)
                .orElse(Identity.ANONYMOUS), null, source);
    }

    /** The value of the request's cookie {@code name}; null when it has none. */
    static String cookie(Request request, String name) {
        for (var cookie : Request.getCookies(request)) {
            if (cookie.getName().equals(name)) {
                return cookie.getValue();
            }
        }
        return null;
    }

    Authenticator authenticator() {
        return authenticator;
    }

    /** The registry's URL as the client reached it ({@code https://host:port}), through trusted proxies. */
    String baseUrl(Request request) {
        return origin.baseUrl(request);
    }

    /** 429 for logins from a throttled address, saying why and for how long in the message clients print. */
    static HttpError throttled(Authenticator.ThrottledException e) {
        return new HttpError(429, ErrorCode.TOOMANYREQUESTS, e.getMessage(), null,
                Map.of(HttpHeader.RETRY_AFTER.asString(), Long.toString(e.retryAfter().toSeconds())));
    }

    private static Caller bearerCaller(VerifiedToken token, String source) {
        Identity identity;
        if (!token.own()) {
            identity = new Identity(Identity.Kind.EXTERNAL, token.subject(), Set.of(), List.of());
        } else if (token.subject().isEmpty()) {
            identity = Identity.ANONYMOUS;
        } else if (token.subject().startsWith(RobotTokens.USER_PREFIX)) {
            identity = new Identity(Identity.Kind.ROBOT, token.subject().substring(RobotTokens.USER_PREFIX.length()),
                    Set.of(), List.of());
        } else {
            identity = Identity.user(token.subject(), Set.of());
        }
        return new Caller(identity, token, source);
    }

    // ---- decisions

    /** Whether the request may pass on what is known without blocking; false leaves it to the blocking path. */
    boolean admitsWithoutBlocking(Request request, Need need) {
        if (!enabled()) {
            return true;
        }
        Caller caller = rememberedCaller(request);
        return caller != null && permits(caller, need);
    }

    boolean permits(Caller caller, Need need) {
        if (need == Need.ANYONE) {
            return true;
        }
        if (need == Need.ADMIN) {
            return administersRegistry(caller);
        }
        if (need.scope() == null) {
            return !enabled() || caller.token() != null || caller.identity().authenticated();
        }
        if (caller.token() != null) {
            return caller.token().allows(need.scope().type(), need.scope().name(), need.action());
        }
        if (need.scope().isRepository()) {
            return policy.allows(caller.identity(), need.scope().name(), need.action());
        }
        return !enabled() || caller.identity().authenticated(); // the catalog, filtered by what each may pull
    }

    /**
     * Whether the caller may administer the whole registry: the admin action on every repository. A token needs
     * {@code registry:admin:*} in its access claim; other callers need admin on {@code **} from the policy.
     */
    boolean administersRegistry(Caller caller) {
        if (!enabled()) {
            return true;
        }
        VerifiedToken token = caller.token();
        return token != null ? token.allows("registry", "admin", "*")
                : policy.allowsEverywhere(caller.identity(), "admin");
    }

    /**
     * Which repositories the caller may pull from: catalog entries, sources of cross-repository mounts. For our own
     * tokens this is what the holder may pull now, not only what the token names (blocking: may look it up).
     */
    Predicate<String> pullable(Caller caller) {
        VerifiedToken token = caller.token();
        if (token == null) {
            return repository -> policy.allows(caller.identity(), repository, "pull");
        }
        Predicate<String> named = repository -> token.allows(Scope.REPOSITORY, repository, "pull");
        if (!token.own()) {
            return named;
        }
        Identity holder = caller.identity().authenticated() ? current(caller).orElse(null) : Identity.ANONYMOUS;
        return holder == null ? named : named.or(repository -> policy.allows(holder, repository, "pull"));
    }

    /** The refusal for a caller that may not take the needed action (blocking: may look the caller up). */
    HttpError refusal(Caller caller, Need need, Request request) {
        String path = request.getHttpURI().getPath();
        String missing = need.scope() == null ? "authentication" : need.scope().toString();
        boolean denied = deniedRatherThanChallenged(caller, need);
        boolean handshake = need.scope() == null && caller.token() == null && !caller.identity().authenticated();
        if (!handshake) { // every client's first ping is challenged: part of logging in, not a refusal
            audit.denied(caller.subject(), caller.source(), request.getMethod(), path, missing, denied ? 403 : 401);
        }
        if (denied) {
            return new HttpError(403, ErrorCode.DENIED, "no " + need.action() + " access to " + need.scope().name());
        }
        boolean tokenTooNarrow = caller.token() != null;
        return challenge(request, need, tokenTooNarrow ? "insufficient_scope" : null,
                need.scope() == null ? "authentication required"
                        : need.action() + " access to " + need.scope().name() + " requires authentication");
    }

    /**
     * 403 when the caller is known and more credentials would not help: a user or robot the policy refuses, or
     * an external token that names the resource without the action. A token of ours that merely lacks the scope
     * gets a challenge if its holder may have it, so the client asks for a new token.
     */
    private boolean deniedRatherThanChallenged(Caller caller, Need need) {
        if (need.scope() == null) {
            return false;
        }
        VerifiedToken token = caller.token();
        if (token == null) {
            return caller.identity().authenticated();
        }
        if (!token.own()) {
            return token.access().stream().anyMatch(scope -> scope.type().equals(need.scope().type())
                    && scope.name().equals(need.scope().name()));
        }
        if (!caller.identity().authenticated()) {
            return false;
        }
        Optional<Identity> holder = current(caller);
        return holder.isEmpty() || !mayHave(holder.get(), need);
    }

    /** Whether the policy would give {@code holder} a token for the need (what {@link TokenEndpoint} grants). */
    private boolean mayHave(Identity holder, Need need) {
        Scope scope = need.scope();
        if (scope.isRepository()) {
            return policy.allows(holder, scope.name(), need.action());
        }
        if (scope.type().equals("registry") && scope.name().equals("admin")) {
            return policy.allowsEverywhere(holder, "admin"); // the admin API: see administersRegistry
        }
        return holder.authenticated();
    }

    /** The user or robot behind one of our tokens, as configured now. */
    private Optional<Identity> current(Caller caller) {
        return authenticator.bySubject(caller.token().subject());
    }

    private HttpError challenge(Request request, Need need, String error, String detail) {
        return challenge(request, need, error, ErrorCode.UNAUTHORIZED.message(), detail);
    }

    private HttpError challenge(Request request, Need need, String error, String message, String detail) {
        StringBuilder header = new StringBuilder("Bearer realm=\"").append(realm(request))
                .append("\",service=\"").append(service).append('"');
        if (need != null && need.scope() != null) {
            Scope scope = need.scope();
            Scope asked = "push".equals(need.action()) ? Scope.repository(scope.name(), "pull", "push") : scope;
            header.append(",scope=\"").append(asked).append('"');
        }
        if (error != null) {
            header.append(",error=\"").append(error).append('"');
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HttpHeader.WWW_AUTHENTICATE.asString(), header.toString());
        return new HttpError(401, ErrorCode.UNAUTHORIZED, message, detail, headers);
    }

    String realm(Request request) {
        if (realm != null) {
            return realm;
        }
        return origin.baseUrl(request) + "/token";
    }

    // ---- header parsing

    /** The credentials after {@code scheme} in an Authorization header, or null for another scheme. */
    static String credentials(String authorization, String scheme) {
        if (authorization == null || authorization.length() <= scheme.length()
                || !authorization.regionMatches(true, 0, scheme, 0, scheme.length())
                || authorization.charAt(scheme.length()) != ' ') {
            return null;
        }
        String value = authorization.substring(scheme.length() + 1).strip();
        return value.isEmpty() ? null : value;
    }

    /** {user, password} of a Basic header, or null when it is not one or is malformed. */
    static String[] basic(String authorization) {
        String encoded = credentials(authorization, "Basic");
        if (encoded == null) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon < 0 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }
}
