package io.berth.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class BenchTest {
    @Test
    void theMedianOfTheRoundsIsTheMiddleOneOrTheMeanOfTheTwoMiddleOnes() {
        assertThat(Bench.median(List.of(0.9, 1.2, 0.7))).isEqualTo(0.9);
        assertThat(Bench.median(List.of(1.0, 0.8, 0.9, 1.3))).isEqualTo(0.95, Offset.offset(1e-9));
        assertThat(Bench.median(List.of())).isNaN();
        assertThat(Bench.median(List.of(1.0, Double.NaN, 0.9))).as("a round without a figure").isNaN();
    }
}
