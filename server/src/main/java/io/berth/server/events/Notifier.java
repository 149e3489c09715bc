package io.berth.server.events;

import io.berth.registry.events.EndpointCursor;
import io.berth.registry.events.Event;
import io.berth.registry.events.EventLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outbox to the configured endpoints: one virtual thread per endpoint reads the events after the
 * endpoint's cursor, in order, and posts each it wants, again and again with growing pauses until the endpoint
 * takes it (a 2xx), before it moves on. At least once, in commit order; a slow or dead endpoint holds up only itself.
 *
 * <p>Servers sharing a database take turns by lease: the one holding an endpoint's lease delivers to it, renewing the
 * lease as it goes; when it dies, another takes over once the lease runs out (the endpoint's timeout and ten seconds
 * later at most). A commit on this server wakes the deliveries at once; events other servers commit are found by
 * polling.
 */
public final class Notifier implements AutoCloseable {
    public static final String SIGNATURE_HEADER = "Berth-Signature";
    public static final String EVENT_ID_HEADER = "Berth-Event-Id";
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
    /** Events read from the log at a time; also the most one request may carry. */
    static final int READ_AT_ONCE = 100;
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
    private final List<Delivery> deliveries = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    public Notifier(EventLog log, NotificationsConfig config, Clock clock) {
        this.log = log;
        this.config = config;
        this.clock = clock;
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

    /**
     * Registers, per endpoint, the failed delivery attempts of this server, and the events waiting with the age of the
     * oldest (shared by every server on the database); returns what refreshes the waiting ones, a few queries, to run
     * before each scrape rather than on every read of a gauge.
     */
    public Runnable registerMeters(MeterRegistry meters) {
        Map<String, double[]> backlog = new ConcurrentHashMap<>();
        for (Delivery delivery : deliveries) {
            String name = delivery.endpoint.name();
            delivery.failures = Counter.builder("berth.events.delivery.failures")
                    .description("Failed attempts of this server to deliver events to the endpoint")
                    .tag("endpoint", name).register(meters);
            double[] values = new double[2];
            backlog.put(name, values);
            Gauge.builder("berth.events.pending", values, v -> v[0])
                    .description("Events in the outbox the endpoint has not been sent yet").tag("endpoint", name)
                    .register(meters);
            Gauge.builder("berth.events.lag", values, v -> v[1]).baseUnit("seconds")
                    .description("Age of the oldest event the endpoint has not been sent yet; 0 when none waits")
                    .tag("endpoint", name).register(meters);
        }
        return () -> {
            if (backlog.isEmpty()) {
                return;
            }
            try {
                Instant now = clock.instant();
                for (Status status : status()) {
                    double[] values = backlog.get(status.endpoint().name());
                    values[0] = status.latest() - (status.cursor() == null ? 0 : status.cursor().position());
                    values[1] = status.oldestPending() == null ? 0
                            : Math.max(0, Duration.between(status.oldestPending(), now).toMillis() / 1000.0);
                }
            } catch (RuntimeException e) {
                LOG.debug("reading how far the endpoints are behind failed", e);
            }
        };
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

    /**
     * One endpoint's delivery loop. It holds the endpoint's lease while it delivers, and records how far it got (which
     * renews the lease) every third of the lease margin, before it waits to retry, after a moment without events and
     * when it stops: not after every event, so that delivering does not compete with pushes for the database. A
     * server that dies sends again what it delivered since it last recorded its progress.
     */
    private final class Delivery {
        private final Endpoint endpoint;
        private final Duration lease;
        private final WebhookClient client;
        private final Semaphore signal = new Semaphore(0);
        /**
         * Set when the cursor must be read again: at start, after a replay moved it, when the lease was lost, or while
         * another server holds it.
         */
        private volatile boolean rewound = true;
        /** The cursor's position as this server last read or wrote it. */
        private long saved = -1;
        /** How far delivery got: every event up to here was delivered or passed over. */
        private long reached = -1;
        /** When the last event delivered since {@code saved} was taken; null when none was. */
        private Instant delivered;
        /** When this server last took or renewed the lease; null when it does not hold it. */
        private Instant renewedAt;
        /** Null until meters are registered. */
        private volatile Counter failures;

        Delivery(Endpoint endpoint) {
            this.endpoint = endpoint;
            this.lease = LEASE_MARGIN.plus(CONNECT_TIMEOUT).plus(endpoint.timeout());
            this.client = new WebhookClient(endpoint.url(), endpoint.format().contentType(endpoint.batched()), endpoint.headers(),
                    CONNECT_TIMEOUT, endpoint.timeout(), (SSLSocketFactory) SSLSocketFactory.getDefault());
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
                    boolean work = rewound || log.latest() > reached;
                    if (!work || !deliverBatch()) {
                        boolean woken = signal.tryAcquire(POLL.toMillis(), TimeUnit.MILLISECONDS);
                        signal.drainPermits();
                        if (!woken && unsaved()) {
                            save(); // a moment without events: record how far delivery got
                        }
                    }
                } catch (InterruptedException e) {
                    break;
                } catch (RuntimeException e) {
                    LOG.warn("delivering events to {} failed; trying again", endpoint.name(), e);
                    letGo();
                    if (!pause(FIRST_RETRY)) {
                        break;
                    }
                }
            }
            Thread.interrupted(); // stopping: what was delivered is recorded, so it is not sent again
            client.close();
            if (unsaved()) {
                try {
                    save();
                } catch (RuntimeException e) {
                    LOG.warn("recording how far {} got failed; its last events will be sent again", endpoint.name(),
                            e);
                }
            }
        }

        /** Delivers what follows the cursor, when this server holds the lease; false when there was nothing. */
        private boolean deliverBatch() throws InterruptedException {
            if (!holdLease()) {
                return false;
            }
            List<Event> read = log.after(reached, READ_AT_ONCE);
            int next = 0;
            while (next < read.size()) {
                // the next request: up to the endpoint's batch of the events it wants, past those it does not
                List<Event> request = new ArrayList<>();
                long last = reached;
                while (next < read.size() && request.size() < endpoint.batch()) {
                    Event event = read.get(next++);
                    last = event.id();
                    if (endpoint.accepts(event) && endpoint.format().carries(event)) {
                        request.add(event);
                    }
                }
                if (!request.isEmpty() && !deliver(last, endpoint.format().body(request, config.source(),
                        endpoint.batched()))) {
                    return true; // the lease was lost, a replay moved the cursor, or the server stops
                }
                reached = last;
                if (!request.isEmpty()) {
                    delivered = clock.instant();
                }
                if (rewound || !holdLease()) {
                    return true;
                }
            }
            return !read.isEmpty();
        }

        /**
         * Makes sure this server holds the lease for the longest request and more: reads the cursor when it must, and
         * renews the lease (recording the progress) every third of the margin; false when another server holds it.
         */
        private boolean holdLease() {
            Instant now = clock.instant();
            if (!rewound && renewedAt != null) {
                return now.isBefore(renewedAt.plus(LEASE_MARGIN.dividedBy(3))) || save();
            }
            rewound = false;
            // Another server's running lease is seen in a read, without trying the write that would fail.
            Optional<EndpointCursor> cursor = log.cursor(endpoint.name());
            boolean leasedElsewhere = cursor.isPresent() && cursor.get().owner() != null
                    && !cursor.get().owner().equals(owner) && cursor.get().leaseUntil().isAfter(now);
            OptionalLong position = leasedElsewhere ? OptionalLong.empty()
                    : log.lease(endpoint.name(), owner, now.plus(lease), now);
            if (position.isEmpty()) {
                letGo(); // another server delivers: ask again after the pause, in case it dies
                return false;
            }
            renewedAt = now;
            saved = reached = position.getAsLong();
            delivered = null;
            return true;
        }

        /** Whether this server holds the lease and has delivered past the cursor it last recorded. */
        private boolean unsaved() {
            return renewedAt != null && reached != saved;
        }

        /** Forgets the lease and what was not recorded: the next batch starts by reading the cursor again. */
        private void letGo() {
            renewedAt = null;
            rewound = true;
        }

        /** Moves the cursor to what was reached, renewing the lease; false when the cursor or the lease moved. */
        private boolean save() {
            Instant now = clock.instant();
            if (!log.advance(endpoint.name(), owner, saved, reached, now.plus(lease), delivered)) {
                letGo();
                return false;
            }
            saved = reached;
            delivered = null;
            renewedAt = now;
            return true;
        }

        /**
         * Posts one request (its last event {@code lastId}) until the endpoint takes it, recording the progress before
         * the first wait; false if the lease was lost, a replay moved the cursor, or the server stops.
         */
        private boolean deliver(long lastId, byte[] body) throws InterruptedException {
            Duration wait = FIRST_RETRY;
            while (running && !rewound) {
                String error;
                try {
                    int status = post(lastId, body);
                    if (status / 100 == 2) {
                        return true;
                    }
                    error = "HTTP " + status;
                } catch (IOException | RuntimeException e) {
                    error = describe(e);
                }
                Counter failed = failures;
                if (failed != null) {
                    failed.increment();
                }
                if (wait.equals(FIRST_RETRY) && !save()) {
                    return false;
                }
                Instant now = clock.instant();
                long jittered = wait.toMillis() / 2 + ThreadLocalRandom.current().nextLong(wait.toMillis() / 2 + 1);
                if (!log.failed(endpoint.name(), owner, saved, error, now, now.plus(lease).plusMillis(jittered))) {
                    letGo();
                    return false;
                }
                renewedAt = now.plusMillis(jittered);
                LOG.debug("event {} to {} failed ({}); next attempt in {} ms", lastId, endpoint.name(), error,
                        jittered);
                Thread.sleep(jittered);
                wait = wait.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait.multipliedBy(2);
            }
            return false;
        }

        /** Posts the request once and returns the status; {@code Berth-Event-Id} is its last event's id. */
        private int post(long lastId, byte[] body) throws IOException {
            String id = Long.toString(lastId);
            return endpoint.secret() == null ? client.post(body, EVENT_ID_HEADER, id)
                    : client.post(body, EVENT_ID_HEADER, id, SIGNATURE_HEADER, signature(endpoint.secret(), body));
        }
    }
}
