package io.berth.server;

import java.util.Locale;

/**
 * Whether {@code GET /metrics} answers, and whom: anyone who reaches the port (as Prometheus scrapes by default),
 * callers the admin API admits, or holders of a bearer token (Prometheus' {@code authorization} setting).
 *
 * @param token the bearer token; set exactly when {@code access} is {@link Access#TOKEN}
 */
public record MetricsConfig(boolean enabled, Access access, String token) {

    public static final MetricsConfig DEFAULTS = new MetricsConfig(true, Access.PUBLIC, null);

    public enum Access {
        PUBLIC, ADMIN, TOKEN;

        static Access parse(String text) {
            try {
                return valueOf(text.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("metrics.access must be public, admin or token, got '" + text
                        + "'");
            }
        }
    }

    public MetricsConfig {
        if (access == Access.TOKEN && (token == null || token.isBlank())) {
            throw new IllegalArgumentException("metrics.access: token needs metrics.token (or BERTH_METRICS_TOKEN)");
        }
        if (access != Access.TOKEN && token != null) {
            throw new IllegalArgumentException("metrics.token needs metrics.access: token");
        }
    }
}
