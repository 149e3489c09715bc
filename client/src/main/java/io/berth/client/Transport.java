package io.berth.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends requests to one registry: signs them in (Basic, or bearer tokens from the registry's token service, one per
 * set of scopes, fetched again when they expire or are refused), follows redirects (without the registry's
 * credentials when they lead elsewhere, as to a presigned storage URL) and retries what failed on the way or what the
 * registry asked to be retried.
 */
final class Transport {
    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 1 << 20;

    private final HttpClient plain;
    private final Supplier<HttpClient> makeSecure;
    private volatile HttpClient secure;
    private final String registry;
    private final URI base;
    private final CredentialSource credentialSource;
    private final RetryPolicy retry;
    private final Duration requestTimeout;
    private final String userAgent;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private volatile Challenge challenge;
    private volatile Optional<Credentials> credentials;

    /**
     * @param plain      the client for {@code http:} URLs; null when the registry speaks TLS
     * @param makeSecure makes the client for {@code https:} URLs, on first use
     */
    Transport(HttpClient plain, Supplier<HttpClient> makeSecure, String registry, URI base,
              CredentialSource credentialSource, RetryPolicy retry, Duration requestTimeout, String userAgent) {
        this.plain = plain;
        this.makeSecure = makeSecure;
        this.registry = registry;
        this.base = base;
        this.credentialSource = credentialSource;
        this.retry = retry;
        this.requestTimeout = requestTimeout;
        this.userAgent = userAgent;
    }

    /**
     * One request, described so that it can be sent again.
     *
     * @param scopes    the token scopes it needs ({@code repository:team/app:pull,push}, {@code registry:catalog:*})
     * @param body      makes the body anew for each attempt; null for none
     * @param retryable whether a failed attempt may be sent again as it is
     */
    record Call(String method, URI uri, List<String> scopes, Map<String, String> headers,
                Supplier<HttpRequest.BodyPublisher> body, boolean retryable) {
        Call {
            headers = Map.copyOf(headers);
            scopes = List.copyOf(scopes);
        }
    }

    /** Closes the HTTP clients made so far (the one for TLS is made on first use). */
    void close() {
        if (plain != null) {
            plain.close();
        }
        synchronized (this) {
            if (secure != null) {
                secure.close();
            }
        }
    }

    URI base() {
        return base;
    }

    /** Resolves {@code path} (which may hold a query) against the registry's base URL. */
    URI uri(String path) {
        return base.resolve(path);
    }

    /** Sends a call; any status comes back (the caller decides what it expects), after auth and retries. */
    HttpResponse<InputStream> send(Call call) throws IOException {
        URI uri = call.uri();
        boolean signIn = true;
        boolean reauthorized = false;
        int redirects = 0;
        int attempt = 0;
        while (true) {
            attempt++;
            HttpRequest request = request(call, uri, signIn);
            HttpResponse<InputStream> response;
            try {
                response = http(uri).send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted: " + call.method() + " " + uri);
            } catch (IOException e) {
                if (!call.retryable() || attempt >= retry.maxAttempts() || untrusted(e)) {
                    throw e;
                }
                pause(retry.backoff(attempt, null));
                continue;
            }
            int status = response.statusCode();
            if (status == 401 && signIn && !reauthorized) {
                Challenge offered = Challenge.pick(response.headers().allValues("WWW-Authenticate"));
                if (offered != null) {
                    discard(response);
                    challenge = offered;
                    tokens.remove(scopeKey(call.scopes()));
                    reauthorized = true;
                    attempt--;
                    continue;
                }
                return response;
            }
            if ((status == 429 || status >= 500) && call.retryable() && attempt < retry.maxAttempts()) {
                Duration retryAfter = retryAfter(response.headers().firstValue("Retry-After").orElse(null));
                discard(response);
                pause(retry.backoff(attempt, retryAfter));
                continue;
            }
            if (isRedirect(status) && (call.method().equals("GET") || call.method().equals("HEAD"))
                    && redirects < MAX_REDIRECTS) {
                Optional<String> location = response.headers().firstValue("Location");
                if (location.isPresent()) {
                    discard(response);
                    URI next = uri.resolve(location.get());
                    signIn = signIn && sameOrigin(uri, next);
                    uri = next;
                    redirects++;
                    attempt--;
                    continue;
                }
            }
            return response;
        }
    }

    /** A certificate that cannot be trusted now will not be trusted on the next attempt either. */
    private static boolean untrusted(IOException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.security.cert.CertificateException) {
                return true;
            }
        }
        return false;
    }

    private HttpClient http(URI uri) {
        if (plain != null && "http".equalsIgnoreCase(uri.getScheme())) {
            return plain;
        }
        HttpClient client = secure;
        if (client == null) {
            synchronized (this) {
                client = secure;
                if (client == null) {
                    client = makeSecure.get();
                    secure = client;
                }
            }
        }
        return client;
    }

    private HttpRequest request(Call call, URI uri, boolean signIn) throws IOException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(requestTimeout)
                .header("User-Agent", userAgent);
        call.headers().forEach(builder::header);
        if (signIn) {
            String authorization = authorization(call.scopes());
            if (authorization != null) {
                builder.header("Authorization", authorization);
            }
        }
        HttpRequest.BodyPublisher body = call.body() == null ? HttpRequest.BodyPublishers.noBody() : call.body().get();
        return builder.method(call.method(), body).build();
    }

    private String authorization(List<String> scopes) throws IOException {
        Challenge known = challenge;
        if (known == null) {
            return null;
        }
        Optional<Credentials> signIn = credentials();
        if (known.scheme().equals("basic")) {
            return signIn.filter(c -> c instanceof Credentials.Basic)
                    .map(c -> basic((Credentials.Basic) c)).orElse(null);
        }
        List<String> wanted = new ArrayList<>(scopes);
        String key = scopeKey(wanted);
        Token token = tokens.get(key);
        if (token == null || token.expired()) {
            token = fetchToken(known, wanted, signIn.orElse(null));
            tokens.put(key, token);
        }
        return "Bearer " + token.value();
    }

    private Optional<Credentials> credentials() throws IOException {
        Optional<Credentials> known = credentials;
        if (known == null) {
            known = credentialSource.credentialsFor(registry);
            credentials = known;
        }
        return known;
    }

    private record Token(String value, Instant expires) {
        boolean expired() {
            return Instant.now().isAfter(expires);
        }
    }

    /** Asks the token service of a bearer challenge for a token ({@code docs/spec/auth/token.md}, {@code oauth.md}). */
    private Token fetchToken(Challenge bearer, List<String> scopes, Credentials signIn) throws IOException {
        String realm = bearer.parameter("realm");
        String service = bearer.parameter("service");
        List<String> wanted = new ArrayList<>(scopes);
        String offered = bearer.parameter("scope");
        if (offered != null && !wanted.contains(offered)) {
            wanted.add(offered);
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder().timeout(requestTimeout).header("User-Agent", userAgent);
        if (signIn instanceof Credentials.IdentityToken(String refreshToken)) {
            StringBuilder form = new StringBuilder("grant_type=refresh_token&client_id=berth&refresh_token=")
                    .append(encode(refreshToken));
            if (service != null) {
                form.append("&service=").append(encode(service));
            }
            if (!wanted.isEmpty()) {
                form.append("&scope=").append(encode(String.join(" ", wanted)));
            }
            builder.uri(URI.create(realm)).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form.toString()));
        } else {
            StringBuilder query = new StringBuilder();
            if (service != null) {
                query.append("service=").append(encode(service));
            }
            for (String scope : wanted) {
                query.append(query.isEmpty() ? "" : "&").append("scope=").append(encode(scope));
            }
            builder.uri(URI.create(realm + (query.isEmpty() ? "" : (realm.contains("?") ? "&" : "?") + query)));
            if (signIn instanceof Credentials.Basic basic) {
                builder.header("Authorization", basic(basic));
            }
            builder.GET();
        }
        HttpRequest request = builder.build();
        for (int attempt = 1; ; attempt++) {
            HttpResponse<InputStream> response;
            try {
                response = http(request.uri()).send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while signing in to " + registry);
            } catch (IOException e) {
                if (attempt >= retry.maxAttempts()) {
                    throw new IOException("cannot reach the token service " + realm + ": " + e.getMessage(), e);
                }
                pause(retry.backoff(attempt, null));
                continue;
            }
            int status = response.statusCode();
            if ((status == 429 || status >= 500) && attempt < retry.maxAttempts()) {
                Duration retryAfter = retryAfter(response.headers().firstValue("Retry-After").orElse(null));
                discard(response);
                pause(retry.backoff(attempt, retryAfter));
                continue;
            }
            if (status != 200) {
                throw error(request.method() + " " + realm, response);
            }
            JsonNode body;
            try (InputStream in = response.body()) {
                body = JSON.readTree(in.readNBytes(MAX_ERROR_BODY));
            } catch (JacksonException e) {
                throw new IOException("the token service " + realm + " answered something that is not JSON");
            }
            String value = body.path("token").asString(null);
            if (value == null || value.isEmpty()) {
                value = body.path("access_token").asString(null);
            }
            if (value == null || value.isEmpty()) {
                throw new IOException("the token service " + realm + " answered no token");
            }
            long lifetime = Math.max(body.path("expires_in").asLong(60), 60);
            // Renew a little early, so a token does not expire between being read here and being checked there.
            return new Token(value, Instant.now().plusSeconds(lifetime - 10));
        }
    }

    private static String basic(Credentials.Basic basic) {
        String pair = basic.username() + ":" + basic.password();
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private static String scopeKey(List<String> scopes) {
        return String.join(" ", scopes.stream().sorted().toList());
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && a.getPort() == b.getPort();
    }

    /** {@code Retry-After} in seconds or as an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
        } catch (NumberFormatException e) {
            try {
                Instant when = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return Duration.between(Instant.now(), when).isNegative() ? Duration.ZERO
                        : Duration.between(Instant.now(), when);
            } catch (DateTimeParseException unreadable) {
                return null;
            }
        }
    }

    private static void pause(Duration duration) throws InterruptedIOException {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }

    static void discard(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // The connection is dropped rather than reused; nothing else depends on it.
        }
    }

    /** The registry's error answer as an exception, from its {@code errors} body when it sent one. */
    static RegistryException error(String request, HttpResponse<InputStream> response) {
        List<RegistryError> errors = new ArrayList<>();
        try (InputStream in = response.body()) {
            byte[] bytes = in.readNBytes(MAX_ERROR_BODY);
            JsonNode body = JSON.readTree(bytes);
            for (JsonNode entry : body.path("errors")) {
                JsonNode detail = entry.get("detail");
                errors.add(new RegistryError(entry.path("code").asString(""), entry.path("message").asString(""),
                        detail == null || detail.isNull() ? null : detail.toString()));
            }
        } catch (IOException | RuntimeException unreadable) {
            // Not an error body (a proxy's HTML page, an empty HEAD answer): the status says what happened.
        }
        return new RegistryException(request, response.statusCode(), errors);
    }
}
