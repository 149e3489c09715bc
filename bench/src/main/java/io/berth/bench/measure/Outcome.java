package io.berth.bench.measure;

import java.util.List;

/**
 * What a batch of operations achieved.
 *
 * @param operations   operations that succeeded
 * @param bytes        payload bytes the successful operations moved (request plus response bodies)
 * @param elapsedNanos wall-clock time of the whole batch
 * @param latencies    latency of each successful operation
 * @param errors       operations that failed (unexpected status, wrong content, I/O error)
 * @param errorSamples the first few failure messages, to say what went wrong
 */
public record Outcome(long operations, long bytes, long elapsedNanos, Latencies latencies, long errors,
                      List<String> errorSamples) {

    public double seconds() {
        return elapsedNanos / 1e9;
    }

    public double operationsPerSecond() {
        return operations / seconds();
    }

    /** Megabytes (10^6 bytes, as {@code dd} counts them) per second. */
    public double megabytesPerSecond() {
        return bytes / 1e6 / seconds();
    }
}
