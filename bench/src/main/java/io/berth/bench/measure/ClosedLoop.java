package io.berth.bench.measure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs operations from a fixed number of closed-loop workers: each worker starts its next operation as soon as its
 * previous one ends, so the concurrency is exactly the number of workers and the server sets the pace.
 */
public final class ClosedLoop {
    private static final int MAX_ERROR_SAMPLES = 5;

    /** One operation; returns the payload bytes it moved, throws when the registry answered wrongly. */
    @FunctionalInterface
    public interface Operation {
        long run(int index) throws Exception;
    }

    private ClosedLoop() {
    }

    /** Runs operations {@code 0 .. count-1}, each exactly once, spread over {@code concurrency} workers. */
    public static Outcome times(int count, int concurrency, Operation operation) {
        AtomicInteger next = new AtomicInteger();
        return run(concurrency, () -> {
            int index = next.getAndIncrement();
            return index < count ? index : -1;
        }, operation);
    }

    /** Runs operations (numbered from 0) until {@code duration} has passed. */
    public static Outcome during(Duration duration, int concurrency, Operation operation) {
        long deadline = System.nanoTime() + duration.toNanos();
        AtomicInteger next = new AtomicInteger();
        return run(concurrency, () -> System.nanoTime() < deadline ? next.getAndIncrement() : -1, operation);
    }

    private interface Schedule {
        /** The next operation's index, or -1 when the worker should stop. */
        int next();
    }

    private static Outcome run(int concurrency, Schedule schedule, Operation operation) {
        AtomicLong operations = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<String> errorSamples = Collections.synchronizedList(new ArrayList<>());
        List<Latencies> perWorker = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        long start = System.nanoTime();
        for (int w = 0; w < concurrency; w++) {
            Latencies latencies = new Latencies();
            perWorker.add(latencies);
            workers.add(Thread.ofPlatform().name("bench-worker-" + w).start(() -> {
                for (int index = schedule.next(); index >= 0; index = schedule.next()) {
                    long began = System.nanoTime();
                    try {
                        long moved = operation.run(index);
                        latencies.add(System.nanoTime() - began);
                        operations.incrementAndGet();
                        bytes.addAndGet(moved);
                    } catch (Exception e) {
                        errors.incrementAndGet();
                        if (errorSamples.size() < MAX_ERROR_SAMPLES) {
                            errorSamples.add(describe(e));
                        }
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the workers", e);
            }
        }
        long elapsed = System.nanoTime() - start;
        return new Outcome(operations.get(), bytes.get(), elapsed, Latencies.merge(perWorker), errors.get(),
                List.copyOf(errorSamples));
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
