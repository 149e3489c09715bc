package io.berth.bench.events;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.berth.bench.measure.Latencies;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A webhook endpoint inside the bench's JVM, on loopback: takes every CloudEvent POSTed to {@link #PATH} with 200
 * and records, for each, its id, type and repository and its delivery lag: when it arrived here minus the event's
 * {@code time} (when Berth recorded it, inside the transaction of the change). A redelivered id counts once, with
 * the lag of its first arrival. A body is only kept as it arrives and read when asked about: the receiver shares the
 * machine with the server it measures, so it parses no JSON while the server pushes.
 */
public final class EventReceiver implements AutoCloseable {
    public static final String PATH = "/events";
    public static final String IMAGE_PUSHED = "io.berth.image.pushed";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration POLL = Duration.ofMillis(20);

    private final Clock clock;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Object lock = new Object();
    /** Bodies not read yet, in order of arrival; guarded by {@link #lock}. */
    private final List<Arrival> arrivals = new ArrayList<>();
    /** Since the last {@link #reset}, in order of arrival; guarded by {@link #lock}. */
    private final List<Received> received = new ArrayList<>();
    private final Set<Long> ids = new HashSet<>();
    private long duplicates;
    private long unreadable;
    private long lastArrivalNanos = System.nanoTime();

    /** One event as it first arrived. */
    public record Received(long id, String type, String repository, Duration lag) {
    }

    private record Arrival(byte[] body, Instant arrived) {
    }

    private EventReceiver(Clock clock) throws IOException {
        this.clock = clock;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext(PATH, this::handle);
        server.start();
    }

    /** Listens on a free loopback port; {@code clock} tells when an event arrives. */
    public static EventReceiver start(Clock clock) throws IOException {
        return new EventReceiver(clock);
    }

    /** Where Berth is to send the events. */
    public URI url() {
        return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":"
                + server.getAddress().getPort() + PATH);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            Instant arrived = clock.instant();
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            record(body.readAllBytes(), arrived);
            exchange.sendResponseHeaders(200, -1);
        }
    }

    /**
     * Records one delivered body (a CloudEvent in structured mode, or an array of them) that arrived at {@code arrived}. A body that is no
     * such event is answered 200 all the same, so that it does not hold up the ones after it, and counted as
     * unreadable when read.
     */
    void record(byte[] body, Instant arrived) {
        synchronized (lock) {
            lastArrivalNanos = System.nanoTime();
            arrivals.add(new Arrival(body, arrived));
            lock.notifyAll();
        }
    }

    /** Reads the bodies that arrived since the last call; the caller holds {@link #lock}. */
    private void readArrivals() {
        for (Arrival arrival : arrivals) {
            JsonNode body;
            try {
                body = JSON.readTree(arrival.body());
            } catch (RuntimeException e) { // Jackson's exceptions are unchecked
                unreadable++;
                continue;
            }
            // a CloudEvent in structured mode, or an array of them in batch mode
            for (JsonNode node : body.isArray() ? body : List.of(body)) {
                Received event;
                try {
                    long id = Long.parseLong(node.path("id").asString());
                    Instant time = Instant.parse(node.path("time").asString());
                    JsonNode repository = node.path("data").path("repository");
                    event = new Received(id, node.path("type").asString(),
                            repository.isString() ? repository.asString() : null,
                            Duration.between(time, arrival.arrived()));
                } catch (RuntimeException e) { // as are the parsers' of id and time
                    unreadable++;
                    continue;
                }
                if (ids.add(event.id())) {
                    received.add(event);
                } else {
                    duplicates++;
                }
            }
        }
        arrivals.clear();
    }

    /** Forgets what arrived so far: what follows is counted afresh. */
    public void reset() {
        synchronized (lock) {
            arrivals.clear();
            received.clear();
            ids.clear();
            duplicates = 0;
            unreadable = 0;
        }
    }

    /** How many distinct events that {@code which} selects arrived since the last reset. */
    public long count(Predicate<Received> which) {
        synchronized (lock) {
            return readCount(which);
        }
    }

    /**
     * Waits until {@code expected} distinct events that {@code which} selects have arrived since the last reset, at
     * most {@code limit}; whether they did.
     */
    public boolean awaitCount(Predicate<Received> which, long expected, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        synchronized (lock) {
            while (readCount(which) < expected) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, Math.min(left / 1_000_000, POLL.toMillis())));
            }
            return true;
        }
    }

    private long readCount(Predicate<Received> which) {
        readArrivals();
        return received.stream().filter(which).count();
    }

    /**
     * Waits until nothing has arrived for {@code quiet}, at most {@code limit}: until the endpoint has had what was
     * pending. Whether it got that quiet.
     */
    public boolean awaitQuiet(Duration quiet, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            long last;
            synchronized (lock) {
                last = lastArrivalNanos;
            }
            if (System.nanoTime() - last >= quiet.toNanos()) {
                return true;
            }
            Thread.sleep(POLL);
        }
        return false;
    }

    /** What arrived since the last reset. */
    public Summary summary(Predicate<Received> counted) {
        synchronized (lock) {
            readArrivals();
            Latencies lags = new Latencies();
            long firstId = Long.MAX_VALUE;
            long lastId = Long.MIN_VALUE;
            long outOfOrder = 0;
            long highest = Long.MIN_VALUE;
            long selected = 0;
            for (Received event : received) {
                lags.add(event.lag().toNanos());
                firstId = Math.min(firstId, event.id());
                lastId = Math.max(lastId, event.id());
                if (event.id() < highest) {
                    outOfOrder++;
                }
                highest = Math.max(highest, event.id());
                if (counted.test(event)) {
                    selected++;
                }
            }
            long missing = received.isEmpty() ? 0 : lastId - firstId + 1 - received.size();
            return new Summary(received.size(), selected, duplicates, unreadable, outOfOrder, missing, lags);
        }
    }

    /**
     * The events that arrived since the last reset.
     *
     * @param events     distinct event ids
     * @param selected   of those, the ones the summary was asked to count (e.g. image pushes of the phase)
     * @param duplicates arrivals of an id already seen (at-least-once delivery allows them)
     * @param unreadable bodies that were not a CloudEvent with a numeric id and a time
     * @param outOfOrder arrivals of an id lower than one that arrived before it (delivery is in commit order)
     * @param missing    ids between the lowest and the highest that did not arrive
     * @param lags       arrival minus the event's time, per distinct event
     */
    public record Summary(long events, long selected, long duplicates, long unreadable, long outOfOrder,
                          long missing, Latencies lags) {

        public double lagMillis(double percentile) {
            return lags.percentileMillis(percentile);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
