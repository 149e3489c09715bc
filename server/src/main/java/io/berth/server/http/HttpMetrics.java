package io.berth.server.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Requests counted and timed by route, method and status, with the bytes they carried in and out, and the uploads
 * in progress. The route is the pattern of the route table ({@code /v2/{name}/manifests/{reference}}), never the
 * path, so the number of series stays bounded whatever clients send. A route's meters are looked up once per
 * (route, method, status) and kept: a request costs two small wrappers, a clock read at each end and the meters'
 * own updates.
 */
final class HttpMetrics {
    /** The route label of requests for paths no route has. */
    static final String UNMATCHED = "unmatched";
    /**
     * The buckets of the latency histogram: from a cached manifest to a large blob, ten of them, so that a series
     * costs a dozen lines and not the seventy of a percentile histogram.
     */
    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(10), Duration.ofSeconds(60)};
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS");

    private final MeterRegistry registry;
    private final Map<RouteTable.Route, RouteMeters> byRoute = new IdentityHashMap<>();
    /** Requests of no route (or of a method their path lacks), by pattern and method. */
    private final Map<String, RouteMeters> others = new ConcurrentHashMap<>();
    private final AtomicInteger uploadsInProgress = new AtomicInteger();
    private final Counter storageFull;
    private final Counter storageUnavailable;

    HttpMetrics(MeterRegistry registry, RouteTable routes) {
        this.registry = registry;
        for (RouteTable.Route route : routes.routes()) {
            byRoute.put(route, new RouteMeters(route.path().text(), route.method()));
        }
        Gauge.builder("berth.uploads.in.progress", uploadsInProgress, AtomicInteger::get)
                .description("Requests sending blob bytes (monolithic, chunk or final upload requests) now")
                .register(registry);
        this.storageFull = storageErrors("full");
        this.storageUnavailable = storageErrors("unavailable");
    }

    private Counter storageErrors(String kind) {
        return Counter.builder("berth.storage.errors")
                .description("Requests failed because blob storage was full (507) or unavailable (503)")
                .tag("kind", kind).register(registry);
    }

    void storageFull() {
        storageFull.increment();
    }

    void storageUnavailable() {
        storageUnavailable.increment();
    }

    /** Starts observing a request: the returned exchange's request, response and callback are to be used instead. */
    Observed observe(Request request, Response response, Callback callback, RouteTable.Match match) {
        RouteMeters meters = meters(request.getMethod(), match);
        if (meters.upload) {
            uploadsInProgress.incrementAndGet();
        }
        return new Observed(new CountingRequest(request), response, callback, meters,
                HttpMethod.HEAD.is(request.getMethod()), System.nanoTime());
    }

    private RouteMeters meters(String method, RouteTable.Match match) {
        if (match != null && match.route() != null) {
            return byRoute.get(match.route());
        }
        String pattern = match == null ? UNMATCHED : match.path().text();
        String label = METHODS.contains(method) ? method : "OTHER";
        return others.computeIfAbsent(pattern + " " + label, key -> new RouteMeters(pattern, label));
    }

    /** One route and method's meters, by status, made as statuses first occur. */
    private final class RouteMeters {
        private final String route;
        private final String method;
        private final boolean upload;
        /** Copied on write: a route sees a handful of statuses, and reads are lock-free. */
        private volatile StatusMeters[] byStatus = new StatusMeters[0];

        RouteMeters(String route, String method) {
            this.route = route;
            this.method = method;
            this.upload = route.contains("/blobs/uploads") && !method.equals("GET") && !method.equals("DELETE");
        }

        StatusMeters of(int status) {
            for (StatusMeters meters : byStatus) {
                if (meters.status == status) {
                    return meters;
                }
            }
            synchronized (this) {
                for (StatusMeters meters : byStatus) {
                    if (meters.status == status) {
                        return meters;
                    }
                }
                StatusMeters made = new StatusMeters(status, route, method);
                StatusMeters[] grown = Arrays.copyOf(byStatus, byStatus.length + 1);
                grown[grown.length - 1] = made;
                byStatus = grown;
                return made;
            }
        }
    }

    private final class StatusMeters {
        final int status;
        final Timer timer;
        final Counter in;
        final Counter out;

        StatusMeters(int status, String route, String method) {
            this.status = status;
            String code = Integer.toString(status);
            this.timer = Timer.builder("berth.http.server.requests")
                    .description("HTTP requests by route pattern, method and status, and how long they took")
                    .tags("route", route, "method", method, "status", code)
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry);
            this.in = Counter.builder("berth.http.server.request.body").baseUnit("bytes")
                    .description("Bytes of request bodies received")
                    .tags("route", route, "method", method, "status", code).register(registry);
            this.out = Counter.builder("berth.http.server.response.body").baseUnit("bytes")
                    .description("Bytes of response bodies sent")
                    .tags("route", route, "method", method, "status", code).register(registry);
        }
    }

    /** The request, with the bytes read from its body counted. */
    private static final class CountingRequest extends Request.Wrapper {
        private long bytes;

        CountingRequest(Request request) {
            super(request);
        }

        @Override
        public Content.Chunk read() {
            Content.Chunk chunk = super.read();
            if (chunk != null) {
                bytes += chunk.remaining();
            }
            return chunk;
        }
    }

    /**
     * The response, with the bytes written counted, and the callback that records the request when it completes.
     */
    final class Observed extends Response.Wrapper implements Callback {
        private final CountingRequest request;
        private final Callback callback;
        private final RouteMeters meters;
        /** A HEAD's body, if a handler writes one, is not sent: not counted either. */
        private final boolean head;
        private final long started;
        private long bytes;

        private Observed(CountingRequest request, Response response, Callback callback, RouteMeters meters,
                         boolean head, long started) {
            super(request, response);
            this.request = request;
            this.callback = callback;
            this.meters = meters;
            this.head = head;
            this.started = started;
        }

        Request request() {
            return request;
        }

        Response response() {
            return this;
        }

        Callback callback() {
            return this;
        }

        @Override
        public void write(boolean last, ByteBuffer byteBuffer, Callback callback) {
            if (byteBuffer != null && !head) {
                bytes += byteBuffer.remaining();
            }
            super.write(last, byteBuffer, callback);
        }

        @Override
        public void succeeded() {
            record(getStatus());
            callback.succeeded();
        }

        @Override
        public void failed(Throwable failure) {
            // Failed before an answer was committed, the client gets Jetty's 500; after, the status sent stands.
            record(isCommitted() ? getStatus() : 500);
            callback.failed(failure);
        }

        @Override
        public InvocationType getInvocationType() {
            return callback.getInvocationType();
        }

        private void record(int status) {
            if (meters.upload) {
                uploadsInProgress.decrementAndGet();
            }
            StatusMeters of = meters.of(status);
            of.timer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            if (request.bytes > 0) {
                of.in.increment(request.bytes);
            }
            if (bytes > 0) {
                of.out.increment(bytes);
            }
        }
    }
}
