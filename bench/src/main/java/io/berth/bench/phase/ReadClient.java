package io.berth.bench.phase;

import io.berth.bench.client.RegistryClient;
import io.berth.bench.measure.ClosedLoop;
import io.berth.bench.measure.Outcome;
import io.berth.bench.measure.Wrk;
import io.berth.bench.measure.WrkResult;
import io.berth.bench.report.PhaseResult;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Who sends the requests of the read-only closed-loop phases (manifest reads, referrers listings, tag pages): the
 * Java client, which verifies every response, or {@code wrk}, which needs far less CPU but verifies nothing, runs
 * for a fixed time, and is preceded by {@value #CHECKED} requests of the Java client whose responses are verified.
 */
public final class ReadClient {
    /** Requests the Java client sends and verifies before each {@code wrk} run. */
    public static final int CHECKED = 50;

    private final Wrk wrk;
    private final Duration duration;

    private ReadClient(Wrk wrk, Duration duration) {
        this.wrk = wrk;
        this.duration = duration;
    }

    public static ReadClient java() {
        return new ReadClient(null, null);
    }

    /** {@code wrk} for {@code duration} per measured part, the count-based phases included. */
    public static ReadClient wrk(Wrk wrk, Duration duration) {
        return new ReadClient(wrk, duration);
    }

    public boolean isWrk() {
        return wrk != null;
    }

    /** How long a count-based phase runs with {@code wrk}. */
    public Duration duration() {
        return duration;
    }

    /** "wrk" or "Java client", for the titles. */
    public String label() {
        return isWrk() ? "wrk" : "Java client";
    }

    /**
     * Sends {@value #CHECKED} requests with the Java client through {@code check} (which throws on a wrong
     * response), then runs {@code wrk} with random {@code paths} for {@code duration}; one result of both.
     */
    PhaseResult measure(String title, RegistryClient registry, ClosedLoop.Operation check, String method,
                        List<String> paths, Map<String, String> headers, int concurrency, Duration duration)
            throws IOException, InterruptedException {
        Outcome checked = ClosedLoop.times(CHECKED, concurrency, check);
        WrkResult result = wrk.run(registry.base(), method, paths, headers, concurrency, duration);
        return PhaseResult.of(title, result, checked);
    }
}
