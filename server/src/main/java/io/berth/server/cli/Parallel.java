package io.berth.server.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one task per item, at most {@code limit} at a time, on virtual threads: blob transfers wait on the network,
 * and a bound keeps a large image from opening a connection per layer at once. The first failure stops the rest.
 */
final class Parallel {
    /** A task's work on one item. */
    @FunctionalInterface
    interface Task<T> {
        void run(T item) throws IOException;
    }

    private Parallel() {
    }

    static <T> void forEach(Collection<T> items, int limit, Task<T> task) throws IOException {
        if (limit < 1) {
            throw new IllegalArgumentException("--concurrency must be at least 1");
        }
        ExecutorService pool = Executors.newFixedThreadPool(limit, Thread.ofVirtual().name("berth-transfer-", 0)
                .factory());
        try (pool) {
            List<Future<?>> futures = new ArrayList<>();
            for (T item : items) {
                futures.add(pool.submit(() -> {
                    task.run(item);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    pool.shutdownNow();
                    throw rethrow(e.getCause());
                } catch (InterruptedException e) {
                    pool.shutdownNow();
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted");
                }
            }
        }
    }

    private static IOException rethrow(Throwable cause) {
        return switch (cause) {
            case IOException io -> io;
            case RuntimeException runtime -> throw runtime;
            case Error error -> throw error;
            default -> new IOException(cause);
        };
    }
}
