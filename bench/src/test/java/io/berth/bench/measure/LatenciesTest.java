package io.berth.bench.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LatenciesTest {

    private static Latencies millis(long... values) {
        Latencies latencies = new Latencies();
        for (long value : values) {
            latencies.add(value * 1_000_000);
        }
        return latencies;
    }

    @Test
    void percentilesAreNearestRankOverAllMergedWorkers() {
        Latencies first = millis(50, 10, 30, 90, 70);
        Latencies second = millis(20, 100, 40, 60, 80);

        Latencies all = Latencies.merge(List.of(first, second));

        assertThat(all.count()).isEqualTo(10);
        assertThat(all.percentileMillis(50)).isEqualTo(50.0);
        assertThat(all.percentileMillis(99)).isEqualTo(100.0);
        assertThat(all.percentileMillis(10)).isEqualTo(10.0);
    }

    @Test
    void growsBeyondItsInitialCapacity() {
        Latencies latencies = new Latencies();
        for (int i = 1; i <= 5000; i++) {
            latencies.add(i * 1_000_000L);
        }
        assertThat(latencies.percentileMillis(99)).isEqualTo(4950.0);
    }

    @Test
    void nothingMeasuredHasNoPercentile() {
        assertThat(new Latencies().percentileMillis(50)).isNaN();
    }
}
