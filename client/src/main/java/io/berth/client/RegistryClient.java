package io.berth.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A client of one OCI registry (Distribution API v2 / OCI Distribution 1.1). Thread-safe; one per registry is
 * enough for a whole program, and its {@link Repository repositories} share its connections and tokens.
 *
 * <pre>{@code
 * RegistryClient registry = RegistryClient.builder("registry.example.com")
 *         .credentials(DockerConfig.load())
 *         .build();
 * PulledManifest manifest = registry.repository("team/app").pullManifest("1.0");
 * }</pre>
 */
public final class RegistryClient implements AutoCloseable {
    private final String registry;
    private final Transport transport;
    private final long chunkSize;

    private RegistryClient(Builder builder) {
        this.registry = builder.registry;
        this.chunkSize = builder.chunkSize;
        String host = registry.equals(ImageReference.DOCKER_HUB) ? "registry-1.docker.io" : registry;
        URI base = URI.create((builder.plainHttp ? "http://" : "https://") + host + "/");
        Duration connectTimeout = builder.connectTimeout;
        SSLContext tls = builder.sslContext != null ? builder.sslContext
                : builder.tlsVerify ? null : trustingEverything();
        // Setting up TLS reads the JDK's trust store, a good part of a short command's time, and the JDK's client
        // does it when it is built: a plain HTTP registry gets a client without TLS, and one with TLS is built only
        // if a URL needs it (a redirect to storage, a token service elsewhere).
        HttpClient plain = builder.plainHttp ? http(connectTimeout, withoutTls()) : null;
        this.transport = new Transport(plain, () -> http(connectTimeout, tls), registry, base, builder.credentials,
                builder.retry, builder.requestTimeout, builder.userAgent);
    }

    private static HttpClient http(Duration connectTimeout, SSLContext tls) {
        HttpClient.Builder http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout);
        if (tls != null) {
            http.sslContext(tls);
        }
        return http.build();
    }

    /** A builder for a client of {@code registry}: a host and optional port, as in image references. */
    public static Builder builder(String registry) {
        return new Builder(registry);
    }

    public String registry() {
        return registry;
    }

    public Repository repository(String name) {
        return new Repository(this, transport, name, chunkSize);
    }

    /**
     * Checks that the registry answers the API's base endpoint {@code /v2/} with these credentials.
     *
     * @throws RegistryException when it refuses them
     */
    public void ping() throws IOException {
        HttpResponse<InputStream> response = transport.send(new Transport.Call("GET", transport.uri("v2/"),
                List.of(), Map.of(), null, true));
        if (response.statusCode() != 200) {
            throw Transport.error("GET /v2/", response);
        }
        Transport.discard(response);
    }

    /** One page of the catalog; {@code last} null for the first page, {@code n} 0 for the registry's own size. */
    public Page catalog(int n, String last) throws IOException {
        return Listing.page(transport, "v2/_catalog", "repositories", List.of("registry:catalog:*"), n, last);
    }

    /** Every repository in the catalog, page after page. */
    public List<String> catalog() throws IOException {
        List<String> all = new ArrayList<>();
        for (Page page = catalog(0, null); ; page = catalog(0, page.next())) {
            all.addAll(page.items());
            if (page.next() == null) {
                return all;
            }
        }
    }

    /** A TLS context that trusts nothing and reads no trust store, for a client that never speaks TLS. */
    private static SSLContext withoutTls() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[0], new TrustManager[0], null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("TLS is not available", e);
        }
    }

    /**
     * Closes the connections and stops the HTTP client's selector thread, after the requests under way end. A
     * process that exits with the selector still waiting in the kernel pays for it: the JVM gives threads in native
     * code time to stop before it exits.
     */
    @Override
    public void close() {
        transport.close();
    }

    private static SSLContext trustingEverything() {
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[]{trustAll}, new SecureRandom());
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("TLS is not available", e);
        }
    }

    public static final class Builder {
        private final String registry;
        private boolean plainHttp;
        private boolean tlsVerify = true;
        private SSLContext sslContext;
        private CredentialSource credentials = CredentialSource.ANONYMOUS;
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofMinutes(10);
        private String userAgent = "berth-client/0.1";
        private long chunkSize;

        private Builder(String registry) {
            this.registry = Objects.requireNonNull(registry);
        }

        /** Speak plain HTTP instead of HTTPS (a registry on loopback or a trusted network). */
        public Builder plainHttp(boolean plainHttp) {
            this.plainHttp = plainHttp;
            return this;
        }

        /** Whether to check the registry's TLS certificate (on by default). */
        public Builder tlsVerify(boolean tlsVerify) {
            this.tlsVerify = tlsVerify;
            return this;
        }

        /** The TLS context to trust the registry with (a private CA, a client certificate). */
        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = sslContext;
            return this;
        }

        public Builder credentials(CredentialSource credentials) {
            this.credentials = Objects.requireNonNull(credentials);
            return this;
        }

        public Builder credentials(Credentials credentials) {
            return credentials(CredentialSource.of(credentials));
        }

        public Builder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry);
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /** How long to wait for a response's headers (a large upload's final PUT waits for the registry's fsync). */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        public Builder userAgent(String userAgent) {
            this.userAgent = userAgent;
            return this;
        }

        /**
         * Uploads blobs in chunks of at most this many bytes, one PATCH each (for registries or proxies that limit
         * a request's body); 0, the default, sends each blob in one PATCH.
         */
        public Builder chunkSize(long chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        public RegistryClient build() {
            return new RegistryClient(this);
        }
    }
}
