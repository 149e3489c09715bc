package io.berth.bench.measure;

/**
 * What one {@code wrk} run reported.
 *
 * @param requests          requests completed (any status)
 * @param requestsPerSecond wrk's "Requests/sec"
 * @param p50Millis         median latency, from {@code --latency}
 * @param p99Millis         99th percentile latency, from {@code --latency}
 * @param badStatus         wrk's "Non-2xx or 3xx responses" (it counts statuses of 400 and above)
 * @param socketErrors      connect, read, write and timeout errors together
 * @param socketErrorLine   wrk's "Socket errors: ..." line, null when it printed none
 */
public record WrkResult(long requests, double requestsPerSecond, double p50Millis, double p99Millis,
                        long badStatus, long socketErrors, String socketErrorLine) {

    public long errors() {
        return badStatus + socketErrors;
    }
}
