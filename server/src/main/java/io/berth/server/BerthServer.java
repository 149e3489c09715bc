package io.berth.server;

import io.berth.registry.Registry;
import io.berth.registry.RegistryOptions;
import io.berth.registry.Uploads;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.gc.GarbageCollector;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.auth.AccessPolicy;
import io.berth.server.auth.AuditLog;
import io.berth.server.auth.Authenticator;
import io.berth.server.auth.LoginThrottle;
import io.berth.server.auth.PasswordUsers;
import io.berth.server.auth.RobotTokens;
import io.berth.server.auth.TokenService;
import io.berth.server.events.Notifier;
import io.berth.server.gc.CollectionRunner;
import io.berth.server.health.Readiness;
import io.berth.server.http.ApiHandler;
import io.berth.server.http.JsonErrorHandler;
import io.berth.server.http.Monitoring;
import io.berth.server.lifecycle.Lifecycle;
import io.berth.server.lifecycle.LifecyclePolicies;
import io.berth.server.metrics.Metrics;
import io.berth.server.tls.ClientIdentity;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The composition root: builds stores, registry and HTTP server from a {@link Config}, and stops them in order. */
public final class BerthServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BerthServer.class);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** How long pull times gather in memory before they are written in one transaction. */
    private static final Duration PULL_FLUSH_INTERVAL = Duration.ofSeconds(30);
    /** A server restarted more often than the collection interval still collects. */
    private static final Duration FIRST_COLLECTION_AFTER = Duration.ofMinutes(5);

    private final Config config;
    private final Installation installation;
    private final SqlMetadataStore metadata;
    private final BlobStore blobs;
    private final Uploads uploads;
    private final Registry registry;
    private final AuditLog audit = new AuditLog();
    private final Lifecycle lifecycle;
    private final CollectionRunner collections;
    private final Notifier notifier;
    /** SQLite: this process is the database's only writer. PostgreSQL: other servers may share it. */
    private final boolean soleWriter;
    private final Server server;
    private final ServerConnector connector;
    private final ScheduledExecutorService housekeeping;
    private final Readiness readiness;
    /** Null when metrics are switched off. */
    private final Metrics metrics;
    private boolean closed;
    private long manifestEpoch;

    private BerthServer(Config config, Clock clock) throws IOException {
        this.config = config;
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("berth-http");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        // Pooled I/O buffers are kept within fixed bounds, so memory under load stays predictable.
        ArrayByteBufferPool buffers = new ArrayByteBufferPool(0, 4096, 1024 * 1024, -1, 16L * 1024 * 1024,
                48L * 1024 * 1024);
        this.server = new Server(threads, null, buffers);
        // Before storage is opened: bad TLS files or patterns end startup with nothing to close.
        this.connector = Listener.create(server, config);
        server.addConnector(connector);
        new ImmutableTags(config.immutableTags()); // checks the rules
        // Also before storage: an invalid lifecycle policy in the config file ends startup with its message.
        List<LifecyclePolicies.Assigned> configuredPolicies = LifecyclePolicies.fromConfig(config.lifecycle());

        Files.createDirectories(config.data());
        // Also before storage: a missing or unusable token key file ends startup with its message.
        TokenService tokens = config.auth().enabled()
                ? TokenService.open(config.data(), config.auth(), Clock.systemUTC()) : null;
        this.installation = Installation.open(config);
        this.blobs = installation.blobs();
        this.metadata = installation.metadata();
        // SQLite has one writer, this process, so cached entries stay until a change here invalidates them.
        // PostgreSQL may be shared by several servers, and a client may read through one what it wrote through
        // another a moment before: no expiry or message between servers can promise that, so the registry confirms
        // tags, manifests and listings in the database for each request, and keeps only immutable bytes in memory.
        this.soleWriter = metadata.kind().equals("sqlite");
        RegistryOptions options = config.registryOptions(!soleWriter);
        this.registry = new Registry(blobs, metadata, options);
        this.uploads = new Uploads(blobs, metadata, options);
        this.manifestEpoch = metadata.manifestEpoch();
        this.lifecycle = new Lifecycle(registry, new LifecyclePolicies(configuredPolicies, metadata, clock), clock);
        metadata.events().addListener(audit);
        this.notifier = new Notifier(metadata.events(), config.notifications(), clock);
        this.metrics = config.metrics().enabled() ? new Metrics() : null;
        // Without metrics, a registry of nothing: what is counted goes nowhere.
        MeterRegistry meters = metrics != null ? metrics.registry() : new CompositeMeterRegistry();
        if (metrics != null) {
            metrics.watchCaches(registry);
            metrics.watchPools(metadata);
            metrics.beforeScrape(notifier.registerMeters(meters));
        }
        this.collections = new CollectionRunner(new GarbageCollector(blobs, metadata, uploads, registry,
                config.gc().rules(), clock), audit, meters);
        this.readiness = new Readiness(List.of(new Readiness.Check("database", metadata::check),
                new Readiness.Check("storage", blobs::check)));

        server.setHandler(new GracefulHandler(apiHandler(config, tokens,
                new Monitoring(readiness, metrics, config.metrics()))));
        server.setErrorHandler(new JsonErrorHandler());
        server.setStopTimeout(DRAIN_TIMEOUT.toMillis());
        // Two threads: a long collection must not hold up the watch on the cache.
        this.housekeeping = Executors.newScheduledThreadPool(2, Thread.ofPlatform().daemon()
                .name("berth-housekeeping-", 0).factory());
    }

    private ApiHandler apiHandler(Config config, TokenService tokens, Monitoring monitoring) {
        AuthConfig auth = config.auth();
        if (!auth.enabled()) {
            return ApiHandler.open(registry, uploads, config.maxManifestBytes(), audit, lifecycle, collections,
                    notifier, monitoring);
        }
        Clock clock = Clock.systemUTC();
        Authenticator authenticator = new Authenticator(new PasswordUsers(auth), new RobotTokens(metadata, clock),
                tokens, loginThrottle(clock), audit, clock);
        return ApiHandler.secured(registry, uploads, config.maxManifestBytes(), authenticator,
                new AccessPolicy(auth.access()), audit, auth, clock, ClientIdentity::commonName, lifecycle,
                collections, notifier, monitoring);
    }

    /**
     * On PostgreSQL, which several nodes may share, failed logins are counted in the database, so that a guess sent
     * to any node counts on all; with SQLite, one process, they are counted in memory, off the single writer.
     */
    private LoginThrottle loginThrottle(Clock clock) {
        return soleWriter ? new LoginThrottle()
                : LoginThrottle.shared(metadata.loginFailures(), clock);
    }

    /**
     * Without authentication anyone who reaches the port may push and delete: fine on loopback, refused on any
     * other address unless asked for explicitly. Empty when the configuration may start.
     */
    public static Optional<String> exposureProblem(Config config) {
        if (config.auth().enabled() || config.loopbackOnly() || config.allowAnonymous()) {
            return Optional.empty();
        }
        return Optional.of("refusing to listen on " + config.host() + " without authentication: configure auth "
                + "(htpasswd, users or a token issuer) or pass --allow-anonymous to serve anyone who can reach it");
    }

    /** Opens storage and starts serving. */
    public static BerthServer start(Config config) throws Exception {
        return start(config, Clock.systemUTC());
    }

    /** Opens storage and starts serving, with garbage collection judging ages by {@code clock}. */
    public static BerthServer start(Config config, Clock clock) throws Exception {
        Optional<String> problem = exposureProblem(config);
        if (problem.isPresent()) {
            throw new IllegalArgumentException(problem.get());
        }
        if (!config.auth().enabled()) {
            LOG.warn("AUTHENTICATION IS OFF: anyone who can reach {}:{} may pull, push and delete", config.host(),
                    config.port());
        }
        BerthServer berth = new BerthServer(config, clock);
        try {
            berth.server.start();
        } catch (Exception e) {
            berth.close();
            throw e;
        }
        berth.schedule(config.gc().interval());
        berth.notifier.start();
        return berth;
    }

    /**
     * Collections on the interval (they expire upload sessions too), or, with collection switched off, upload expiry
     * alone every hour; lifecycle policies on the same interval, first one interval after startup; pull times
     * written every half minute. With SQLite, whose cached manifests never expire, a look every second at whether
     * another process (berth gc) deleted manifests.
     */
    private void schedule(Duration interval) {
        if (interval.isZero()) {
            housekeeping.scheduleWithFixedDelay(this::expireUploads, 0, 1, TimeUnit.HOURS);
        } else {
            long first = Math.min(interval.toMillis(), FIRST_COLLECTION_AFTER.toMillis());
            housekeeping.scheduleWithFixedDelay(this::collectGarbage, first, interval.toMillis(),
                    TimeUnit.MILLISECONDS);
            housekeeping.scheduleWithFixedDelay(this::applyLifecycle, interval.toMillis(), interval.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        housekeeping.scheduleWithFixedDelay(this::flushPulls, PULL_FLUSH_INTERVAL.toMillis(),
                PULL_FLUSH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        if (soleWriter) {
            housekeeping.scheduleWithFixedDelay(this::watchManifestDeletions, 1, 1, TimeUnit.SECONDS);
        }
    }

    private void flushPulls() {
        try {
            registry.flushPulls();
        } catch (RuntimeException e) {
            LOG.warn("writing pull times failed; they are kept for the next attempt", e);
        }
    }

    /** Applies every repository's lifecycle policy; what the server's schedule runs. */
    public void applyLifecycle() {
        try {
            int expired = lifecycle.apply(null, "schedule").stream().mapToInt(outcome -> outcome.expired().size())
                    .sum();
            if (expired > 0) {
                LOG.info("lifecycle policies expired {} images", expired);
            }
        } catch (RuntimeException e) {
            LOG.warn("applying lifecycle policies failed", e);
        }
    }

    private void expireUploads() {
        try {
            uploads.expire();
        } catch (RuntimeException e) {
            LOG.warn("expiring upload sessions failed", e);
        }
    }

    private void collectGarbage() {
        try {
            collections.run(false, "berth", "schedule");
        } catch (RuntimeException e) {
            LOG.warn("garbage collection failed", e);
        }
    }

    private void watchManifestDeletions() {
        try {
            long epoch = metadata.manifestEpoch();
            if (epoch != manifestEpoch) {
                manifestEpoch = epoch;
                registry.forgetCachedManifests();
            }
        } catch (RuntimeException e) {
            LOG.warn("checking for manifests deleted elsewhere failed", e);
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    public String describe() {
        String scheme = config.tls().enabled() ? "https" : "http";
        return "Berth listening on " + scheme + "://" + hostForUrl(config.host()) + ":" + port()
                + " (storage: " + Installation.describeStorage(config)
                + ", metadata: " + metadata.kind() + ", auth: " + (config.auth().enabled() ? "on" : "off") + ")";
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /**
     * What SIGTERM asks: {@code /readyz} answers 503 at once while the server serves on for the drain delay, so that
     * load balancers see it going and stop sending; then {@link #close}.
     */
    public void shutdown() {
        readiness.markDraining();
        Duration delay = config.drainDelay();
        if (delay.isPositive()) {
            LOG.info("stopping: /readyz answers 503; serving on for {} s, then draining requests in flight",
                    delay.toMillis() / 1000.0);
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        close();
    }

    /**
     * Stops accepting requests, lets in-flight ones finish, writes the pull times gathered, then closes storage. A
     * second call waits for the first to end.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        readiness.markDraining();
        housekeeping.shutdownNow();
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server failed", e);
        }
        try {
            // A housekeeping task still running (interrupted above) must not find storage closed under it.
            housekeeping.awaitTermination(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flushPulls();
        notifier.close();
        installation.close();
        if (metrics != null) {
            metrics.close();
        }
    }

    public void join() throws InterruptedException {
        server.join();
    }
}
