package io.berth.server.http;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says in the log that storage is full: when it happens, then at most once a minute while it lasts, with the number
 * of requests it failed meanwhile. One line, no stack trace: the cause is the same for every request, and an
 * operator must see it rather than a page of traces.
 */
final class StorageFullLog {
    /** The error body's message: clients print it. */
    static final String MESSAGE = "storage is full: the registry cannot store anything more until space is freed";
    private static final Logger LOG = LoggerFactory.getLogger(StorageFullLog.class);
    private static final long QUIET_NANOS = Duration.ofMinutes(1).toNanos();

    private final AtomicLong lastLogged = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong unlogged = new AtomicLong();

    void failed(String method, String path, Throwable failure) {
        long now = System.nanoTime();
        long last = lastLogged.get();
        if ((last != Long.MIN_VALUE && now - last < QUIET_NANOS) || !lastLogged.compareAndSet(last, now)) {
            unlogged.incrementAndGet();
            return;
        }
        long before = unlogged.getAndSet(0);
        LOG.error("storage is full ({}): writes fail and are answered 507 until space is freed; first seen in {} {}{}",
                rootMessage(failure), method, path,
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
