package io.berth.bench.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class WrkTest {

    /** What wrk 4.1.0 printed for a HEAD run against a registry (figures edited to exercise every unit). */
    private static final String OUTPUT = """
            Running 5s test @ http://127.0.0.1:40123
              2 threads and 32 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency   832.11us    1.02ms  41.27ms   93.17%
                Req/Sec    20.13k     1.48k   23.01k    71.00%
              Latency Distribution
                 50%  612.00us
                 75%  901.00us
                 90%    1.31ms
                 99%    4.87ms
              200312 requests in 5.00s, 61.13MB read
              Socket errors: connect 0, read 3, write 1, timeout 2
              Non-2xx or 3xx responses: 17
            Requests/sec:  40060.52
            Transfer/sec:     12.23MB
            """;

    @Test
    void readsThroughputPercentilesAndErrors() {
        WrkResult result = Wrk.parse(OUTPUT);

        assertThat(result.requests()).isEqualTo(200_312);
        assertThat(result.requestsPerSecond()).isCloseTo(40_060.52, within(1e-9));
        assertThat(result.p50Millis()).isCloseTo(0.612, within(1e-9));
        assertThat(result.p99Millis()).isCloseTo(4.87, within(1e-9));
        assertThat(result.badStatus()).isEqualTo(17);
        assertThat(result.socketErrors()).isEqualTo(6);
        assertThat(result.errors()).isEqualTo(23);
        assertThat(result.socketErrorLine()).isEqualTo("Socket errors: connect 0, read 3, write 1, timeout 2");
    }

    @Test
    void aCleanRunHasNoErrors() {
        String clean = OUTPUT.replaceAll("(?m)^.*(Socket errors|Non-2xx).*\\n", "")
                .replace("99%    4.87ms", "99%    1.20s");

        WrkResult result = Wrk.parse(clean);

        assertThat(result.errors()).isZero();
        assertThat(result.socketErrorLine()).isNull();
        assertThat(result.p99Millis()).isCloseTo(1200, within(1e-9));
    }

    @Test
    void outputWithoutLatencyDistributionIsRejected() {
        String withoutPercentiles = OUTPUT.replaceAll("(?m)^\\s+\\d\\d%.*\\n", "");

        assertThatThrownBy(() -> Wrk.parse(withoutPercentiles)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--latency");
    }
}
