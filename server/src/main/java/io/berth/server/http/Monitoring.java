package io.berth.server.http;

import io.berth.server.MetricsConfig;
import io.berth.server.health.Readiness;
import io.berth.server.metrics.Metrics;
import java.util.List;

/**
 * What the health and metrics endpoints answer from.
 *
 * @param metrics null when metrics are switched off
 * @param config  whether {@code /metrics} answers, and whom
 */
public record Monitoring(Readiness readiness, Metrics metrics, MetricsConfig config) {

    /** Always ready, no metrics: for servers assembled by hand in tests. */
    public static Monitoring none() {
        return new Monitoring(new Readiness(List.of()), null, new MetricsConfig(false, MetricsConfig.Access.PUBLIC,
                null));
    }
}
