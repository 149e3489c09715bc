package io.berth.server.http;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says in the log that storage fails every request alike (full, or unreachable): when it happens, then at most once
 * a minute while it lasts, with the number of requests it failed meanwhile. One line, no stack trace: the cause is
 * the same for every request, and an operator must see it rather than a page of traces.
 */
final class StorageFailureLog {
    /** The error body's message when storage is full: clients print it. */
    static final String FULL = "storage is full: the registry cannot store anything more until space is freed";
    /** The error body's message when storage cannot be reached. */
    static final String UNAVAILABLE = "storage is unavailable: try again later";
    /** The error body's message when the metadata database cannot be reached. */
    static final String METADATA_UNAVAILABLE = "the metadata database is unavailable: try again later";
    private static final Logger LOG = LoggerFactory.getLogger(StorageFailureLog.class);
    private static final long QUIET_NANOS = Duration.ofMinutes(1).toNanos();

    private final String condition;
    private final String consequence;
    private final AtomicLong lastLogged = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong unlogged = new AtomicLong();

    private StorageFailureLog(String condition, String consequence) {
        this.condition = condition;
        this.consequence = consequence;
    }

    static StorageFailureLog full() {
        return new StorageFailureLog("storage is full", "writes fail and are answered 507 until space is freed");
    }

    static StorageFailureLog unavailable() {
        return new StorageFailureLog("storage is unavailable", "requests that need it are answered 503");
    }

    static StorageFailureLog metadataUnavailable() {
        return new StorageFailureLog("the metadata database is unavailable",
                "requests that need it are answered 503");
    }

    void failed(String method, String path, Throwable failure) {
        long now = System.nanoTime();
        long last = lastLogged.get();
        if ((last != Long.MIN_VALUE && now - last < QUIET_NANOS) || !lastLogged.compareAndSet(last, now)) {
            unlogged.incrementAndGet();
            return;
        }
        long before = unlogged.getAndSet(0);
        LOG.error("{} ({}): {}; first seen in {} {}{}", condition, rootMessage(failure), consequence, method, path,
                before > 0 ? "; " + before + " more requests failed since the last message" : "");
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }
}
