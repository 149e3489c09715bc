package io.berth.bench.measure;

import java.util.Arrays;
import java.util.Collection;

/**
 * Operation latencies in nanoseconds. Each worker fills its own instance (no locking on the hot path); the phase
 * merges them when the workers are done.
 */
public final class Latencies {
    private long[] nanos = new long[1024];
    private int count;

    public void add(long latencyNanos) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = latencyNanos;
    }

    public int count() {
        return count;
    }

    public static Latencies merge(Collection<Latencies> parts) {
        Latencies all = new Latencies();
        all.nanos = new long[Math.max(1, parts.stream().mapToInt(Latencies::count).sum())];
        for (Latencies part : parts) {
            System.arraycopy(part.nanos, 0, all.nanos, all.count, part.count);
            all.count += part.count;
        }
        return all;
    }

    /**
     * The nearest-rank percentile in milliseconds: the smallest latency that at least {@code percent}% of the
     * operations did not exceed. NaN when nothing was measured.
     */
    public double percentileMillis(double percent) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percent / 100.0 * count);
        return sorted[Math.clamp(rank - 1, 0, count - 1)] / 1_000_000.0;
    }
}
