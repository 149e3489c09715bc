package io.berth.server.events;

import io.berth.registry.events.EndpointCursor;
import io.berth.registry.events.Event;
import io.berth.registry.events.EventLog;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outbox to the configured endpoints: one virtual thread per endpoint reads the events after the
 * endpoint's cursor, in order, and posts each it wants, again and again with growing pauses until the endpoint
 * takes it (a 2xx), before it moves on. At least once, in commit order; a slow or dead endpoint holds up only itself.
 *
 * <p>Servers sharing a database take turns by lease: the one holding an endpoint's lease delivers to it, renewing the
 * lease as it goes; when it dies, another takes over once the lease runs out (the endpoint's timeout and ten seconds
 * later at most). A commit on this server wakes the
 * deliveries at once; events other servers commit are found by polling.
 */
public final class Notifier implements AutoCloseable {
    public static final String SIGNATURE_HEADER = "Berth-Signature";
    public static final String EVENT_ID_HEADER = "Berth-Event-Id";
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
    private static final int BATCH = 100;
    private static final Duration POLL = Duration.ofMillis(250);
    /** How long a lease outlasts the longest request it may cover; a server that dies is replaced this long after. */
    private static final Duration LEASE_MARGIN = Duration.ofSeconds(5);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration FIRST_RETRY = Duration.ofMillis(500);
    private static final Duration LAST_RETRY = Duration.ofSeconds(60);
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);

    private final EventLog log;
    private final NotificationsConfig config;
    private final Clock clock;
    private final String owner = UUID.randomUUID().toString();
    private final HttpClient http;
    private final List<Delivery> deliveries = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    public Notifier(EventLog log, NotificationsConfig config, Clock clock) {
        this.log = log;
        this.config = config;
        this.clock = clock;
        // HTTP/1.1: receivers are plain web servers, and the JDK client's h2c upgrade is not reliable.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT).build();
        for (Endpoint endpoint : config.endpoints()) {
            deliveries.add(new Delivery(endpoint));
        }
    }

    /** Registers the endpoints' cursors and starts delivering, and pruning the outbox. */
    public void start() {
        for (Delivery delivery : deliveries) {
            log.register(delivery.endpoint.name());
        }
        log.addListener(events -> deliveries.forEach(Delivery::wake));
        for (Delivery delivery : deliveries) {
            threads.add(Thread.ofVirtual().name("berth-notify-" + delivery.endpoint.name()).start(delivery::run));
        }
        threads.add(Thread.ofVirtual().name("berth-events-prune").start(this::pruneForever));
    }

    public NotificationsConfig config() {
        return config;
    }

    /** This server's name in the cursors' leases. */
    public String owner() {
        return owner;
    }

    /** The outbox it delivers from. */
    public EventLog log() {
        return log;
    }

    /** The configured endpoints with their cursors, for the admin API. */
    public List<Status> status() {
        long latest = log.latest();
        List<Status> result = new ArrayList<>();
        for (Endpoint endpoint : config.endpoints()) {
            Optional<EndpointCursor> cursor = log.cursor(endpoint.name());
            Optional<Instant> oldestPending = cursor.flatMap(c -> log.firstAfter(c.position()));
            boolean behind = oldestPending.isPresent()
                    && oldestPending.get().isBefore(clock.instant().minus(config.retention()));
            result.add(new Status(endpoint, cursor.orElse(null), latest, oldestPending.orElse(null), behind));
        }
        return result;
    }

    /**
     * An endpoint's state: {@code latest - cursor.position} events wait for it (fewer, when its filters pass some
     * over), the oldest since {@code oldestPending}; {@code behind} when that is older than the retention.
     */
    public record Status(Endpoint endpoint, EndpointCursor cursor, long latest, Instant oldestPending,
                         boolean behind) {
    }

    /** Makes the endpoint receive again every event after {@code position}; false for an unknown endpoint. */
    public boolean replay(String endpoint, long position) {
        Optional<Delivery> delivery = deliveries.stream().filter(d -> d.endpoint.name().equals(endpoint)).findFirst();
        if (delivery.isEmpty() || !log.rewind(endpoint, position)) {
            return false;
        }
        delivery.get().rewound();
        return true;
    }

    /** Deletes events older than the retention that every endpoint has had; reports endpoints left behind. */
    int prune() {
        Instant before = clock.instant().minus(config.retention());
        // Also what endpoints of other servers sharing the database still need.
        long upTo = log.oldestPosition(before);
        for (Endpoint endpoint : config.endpoints()) {
            Optional<EndpointCursor> cursor = log.cursor(endpoint.name());
            if (cursor.isPresent()) {
                upTo = Math.min(upTo, cursor.get().position());
            }
        }
        int pruned = log.prune(before, upTo);
        for (Status status : status()) {
            if (status.behind()) {
                LOG.warn("notification endpoint {} has not taken events since {} ({} days): they are kept for it, "
                                + "and its last error is: {}", status.endpoint().name(), status.oldestPending(),
                        Duration.between(status.oldestPending(), clock.instant()).toDays(),
                        status.cursor() == null ? null : status.cursor().lastError());
            }
        }
        return pruned;
    }

    private void pruneForever() {
        while (running) {
            try {
                int pruned = prune();
                if (pruned > 0) {
                    LOG.info("pruned {} events older than {} from the outbox", pruned, config.retention());
                }
            } catch (RuntimeException e) {
                LOG.warn("pruning the outbox failed; trying again later", e);
            }
            if (!pause(PRUNE_EVERY)) {
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        threads.forEach(Thread::interrupt);
        for (Thread thread : threads) {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        http.close();
    }

    private boolean pause(Duration duration) {
        try {
            Thread.sleep(duration);
            return running;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** What went wrong, with the cause's words when the failure has none of its own (a refused connection). */
    private static String describe(Throwable failure) {
        StringBuilder text = new StringBuilder(failure.getClass().getSimpleName());
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                return text.append(": ").append(cause.getMessage()).toString();
            }
            if (cause.getCause() != null) {
                text.append(" (").append(cause.getCause().getClass().getSimpleName()).append(")");
            }
        }
        return text.toString();
    }

    /** The HMAC-SHA256 of {@code body} under {@code secret}, as the signature header carries it. */
    public static String signature(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /** One endpoint's delivery loop. */
    private final class Delivery {
        private final Endpoint endpoint;
        private final Duration lease;
        private final Semaphore signal = new Semaphore(0);
        /** Set by a replay: the cursor moved back, so there is work although nothing new was recorded. */
        private volatile boolean rewound = true;
        /** The last event this loop saw the cursor reach. */
        private long seen = -1;

        Delivery(Endpoint endpoint) {
            this.endpoint = endpoint;
            this.lease = LEASE_MARGIN.plus(CONNECT_TIMEOUT).plus(endpoint.timeout());
        }

        void wake() {
            if (signal.availablePermits() == 0) {
                signal.release();
            }
        }

        void rewound() {
            rewound = true;
            wake();
        }

        void run() {
            while (running) {
                try {
                    // Idle, this costs a read: the lease is taken (a write) only when there is something to deliver.
                    boolean work = rewound || log.latest() > seen;
                    rewound = false;
                    if (!work || !deliverBatch()) {
                        signal.tryAcquire(POLL.toMillis(), TimeUnit.MILLISECONDS);
                        signal.drainPermits();
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("delivering events to {} failed; trying again", endpoint.name(), e);
                    if (!pause(FIRST_RETRY)) {
                        return;
                    }
                }
            }
        }

        /** Delivers what follows the cursor, when this server holds the lease; false when there was nothing. */
        private boolean deliverBatch() throws InterruptedException {
            OptionalLong leased = log.lease(endpoint.name(), owner, clock.instant().plus(lease), clock.instant());
            if (leased.isEmpty()) {
                rewound = true; // another server delivers: ask again after the pause, in case it dies
                return false;
            }
            List<Event> batch = log.after(leased.getAsLong(), BATCH);
            if (batch.isEmpty()) {
                seen = leased.getAsLong();
                return false;
            }
            Progress progress = new Progress(leased.getAsLong());
            for (Event event : batch) {
                Optional<byte[]> body = endpoint.accepts(event) ? endpoint.format().body(event, config.source())
                        : Optional.empty();
                if ((body.isPresent() && !deliver(event, body.get(), progress))
                        || (progress.passed(event.id(), body.isPresent()) && !progress.save())) {
                    // the lease was lost, a replay moved the cursor, or the server stops: start again from the cursor
                    rewound = true;
                    return true;
                }
            }
            progress.save();
            return true;
        }

        /**
         * How far a batch got: the cursor is moved at the end of the batch, before waiting to retry, and at least
         * every third of the lease (which moving it renews).
         */
        private final class Progress {
            private long saved;
            private long reached;
            private Instant delivered;
            private Instant savedAt = clock.instant();

            Progress(long position) {
                this.saved = position;
                this.reached = position;
            }

            /** Notes that the batch got past an event (delivered, or passed over); true when a save is due. */
            boolean passed(long id, boolean delivering) {
                reached = id;
                if (delivering) {
                    delivered = clock.instant();
                }
                return clock.instant().isAfter(savedAt.plus(LEASE_MARGIN.dividedBy(3)));
            }

            /** Moves the cursor to what was reached; false when the cursor or the lease moved meanwhile. */
            boolean save() {
                savedAt = clock.instant();
                if (reached == saved) {
                    return true;
                }
                if (!log.advance(endpoint.name(), owner, saved, reached, savedAt.plus(lease), delivered)) {
                    return false;
                }
                saved = reached;
                seen = reached;
                delivered = null;
                return true;
            }
        }

        /**
         * Posts one event until the endpoint takes it, saving the batch's progress before the first wait; false if
         * the lease was lost, a replay moved the cursor, or the server stops.
         */
        private boolean deliver(Event event, byte[] body, Progress progress) throws InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.url()).timeout(endpoint.timeout())
                    .header("Content-Type", endpoint.format().contentType())
                    .header(EVENT_ID_HEADER, Long.toString(event.id()))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            endpoint.headers().forEach(request::header);
            if (endpoint.secret() != null) {
                request.header(SIGNATURE_HEADER, signature(endpoint.secret(), body));
            }
            HttpRequest built = request.build();
            Duration wait = FIRST_RETRY;
            while (running) {
                String error;
                try {
                    HttpResponse<Void> response = http.send(built, HttpResponse.BodyHandlers.discarding());
                    if (response.statusCode() / 100 == 2) {
                        return true;
                    }
                    error = "HTTP " + response.statusCode();
                } catch (IOException | RuntimeException e) {
                    error = describe(e);
                }
                if (wait.equals(FIRST_RETRY) && !progress.save()) {
                    return false;
                }
                Instant now = clock.instant();
                long jittered = wait.toMillis() / 2 + ThreadLocalRandom.current().nextLong(wait.toMillis() / 2 + 1);
                if (!log.failed(endpoint.name(), owner, progress.saved, error, now,
                        now.plus(lease).plusMillis(jittered))) {
                    return false;
                }
                LOG.debug("event {} to {} failed ({}); next attempt in {} ms", event.id(), endpoint.name(), error,
                        jittered);
                Thread.sleep(jittered);
                wait = wait.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait.multipliedBy(2);
            }
            return false;
        }
    }
}
