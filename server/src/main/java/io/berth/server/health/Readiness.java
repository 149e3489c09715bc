package io.berth.server.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this server should be sent requests: its dependencies answer (each {@link Check}) and it is not draining.
 * Probes may come in storms (every load balancer, every second), so a check's result is reused for
 * {@link #REUSE}, and while one is running the next probes wait for it instead of starting another. A check that
 * hangs (a database that takes connections but never answers) is failed after {@link #TIMEOUT}: a probe never waits
 * longer, and while the hung check runs on, later probes fail at once.
 */
public final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    static final Duration REUSE = Duration.ofSeconds(1);

    /** A dependency's check: returns when it answers, throws when it does not. */
    @FunctionalInterface
    public interface Probe {
        void run() throws Exception;
    }

    /** One named check, e.g. {@code database}. */
    public record Check(String name, Probe probe) {
    }

    /** A check's outcome: {@code failure} is null when it passed, else a short reason fit for anyone to read. */
    public record Result(String name, String failure) {
        public boolean passed() {
            return failure == null;
        }
    }

    /** The answer to a probe: ready when not draining and every check passed. */
    public record Report(boolean draining, List<Result> results) {
        public boolean ready() {
            return !draining && results.stream().allMatch(Result::passed);
        }
    }

    private final List<Watched> checks;
    private final Executor executor = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean draining;

    public Readiness(List<Check> checks) {
        this.checks = checks.stream().map(Watched::new).toList();
    }

    /** From now on the server is going: every probe answers not ready, without running the checks. */
    public void markDraining() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    public Report report() {
        if (draining) {
            return new Report(true, List.of());
        }
        long now = System.nanoTime();
        List<CompletableFuture<Result>> pending = new ArrayList<>(checks.size());
        for (Watched check : checks) {
            pending.add(check.result(now));
        }
        List<Result> results = new ArrayList<>(checks.size());
        for (int i = 0; i < checks.size(); i++) {
            results.add(checks.get(i).await(pending.get(i)));
        }
        return new Report(false, results);
    }

    /** A check with its last result and the run in progress, if any. */
    private final class Watched {
        private final Check check;
        private CompletableFuture<Result> running;
        private long startedAt;
        private Result last;
        private long lastAt;
        /** Whether the last result logged was a failure: the log says when a check changes, not at every probe. */
        private boolean failing;

        Watched(Check check) {
            this.check = check;
        }

        /** The fresh result, the run in progress, or a new run. */
        synchronized CompletableFuture<Result> result(long now) {
            if (last != null && now - lastAt < REUSE.toNanos()) {
                return CompletableFuture.completedFuture(last);
            }
            if (running != null) {
                return running;
            }
            startedAt = now;
            CompletableFuture<Result> run = CompletableFuture.supplyAsync(this::run, executor);
            running = run;
            run.thenAccept(this::finished); // at once, here, if the check is done already
            return run;
        }

        private Result run() {
            try {
                check.probe().run();
                return new Result(check.name(), null);
            } catch (Exception e) {
                logChange(true, e.toString());
                return new Result(check.name(), "failed");
            }
        }

        private synchronized void finished(Result result) {
            last = result;
            lastAt = System.nanoTime();
            running = null;
            if (result.passed()) {
                logChange(false, null);
            }
        }

        private synchronized void logChange(boolean failed, String why) {
            if (failed && !failing) {
                LOG.warn("readiness check {} failed: {}", check.name(), why);
            } else if (!failed && failing) {
                LOG.info("readiness check {} passes again", check.name());
            }
            failing = failed;
        }

        /** The run's result, or a failure once it has taken {@link #TIMEOUT} since it started. */
        Result await(CompletableFuture<Result> run) {
            long started;
            synchronized (this) {
                started = startedAt;
            }
            long left = TIMEOUT.toNanos() - (System.nanoTime() - started);
            try {
                return run.isDone() ? run.get() : run.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                logChange(true, "no answer within " + TIMEOUT.toSeconds() + " s");
                return new Result(check.name(), "no answer within " + TIMEOUT.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(check.name(), "interrupted");
            } catch (ExecutionException e) {
                return new Result(check.name(), "failed");
            }
        }
    }
}
