package io.berth.server.http;

import io.berth.registry.ErrorCode;
import io.berth.server.MetricsConfig;
import io.berth.server.health.Readiness;
import io.berth.server.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;

/**
 * {@code /livez}, {@code /readyz} and {@code /metrics}. The probes answer plain text in the manner of Kubernetes' own
 * ({@code [+]database ok}, {@code [-]storage failed}), with the reasons of a failure in the server's log rather
 * than in an answer anyone may read.
 */
final class HealthRoutes {
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final byte[] LIVE = "ok\n".getBytes(StandardCharsets.US_ASCII);

    private final Monitoring monitoring;
    private final Gate gate;

    HealthRoutes(Monitoring monitoring, Gate gate) {
        this.monitoring = monitoring;
        this.gate = gate;
    }

    /** {@code GET /livez}: 200 while the process serves; it asks nothing of the database or storage. */
    void live(Exchange exchange) {
        exchange.response().getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Responses.send(exchange.response(), exchange.callback(), 200, TEXT, LIVE);
    }

    /**
     * {@code GET /readyz}: 200 when the database and blob storage answer and the server is not draining, else 503
     * with the checks that failed.
     */
    void ready(Exchange exchange) {
        Readiness.Report report = monitoring.readiness().report();
        StringBuilder body = new StringBuilder();
        if (report.draining()) {
            body.append("[-]draining: the server is shutting down\n");
        }
        for (Readiness.Result result : report.results()) {
            body.append(result.passed() ? "[+]" + result.name() + " ok\n"
                    : "[-]" + result.name() + " " + result.failure() + "\n");
        }
        body.append(report.ready() ? "ok\n" : "readyz check failed\n");
        exchange.response().getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Responses.send(exchange.response(), exchange.callback(), report.ready() ? 200 : 503, TEXT,
                body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** {@code GET /metrics}: every meter in Prometheus' text format, to whom the configuration lets read it. */
    void metrics(Exchange exchange) {
        Metrics metrics = monitoring.metrics();
        if (metrics == null) {
            throw new HttpError(404, ErrorCode.NAME_UNKNOWN, "metrics are switched off (metrics.enabled: false)",
                    (String) null);
        }
        MetricsConfig config = monitoring.config();
        switch (config.access()) {
            case PUBLIC -> {
            }
            case ADMIN -> {
                Gate.Caller caller = gate.caller(exchange.request());
                if (!gate.permits(caller, Gate.Need.ADMIN)) {
                    throw gate.refusal(caller, Gate.Need.ADMIN, exchange.request());
                }
            }
            case TOKEN -> {
                if (!bearerMatches(exchange.request().getHeaders().get(HttpHeader.AUTHORIZATION), config.token())) {
                    throw new HttpError(401, ErrorCode.UNAUTHORIZED, "metrics need the bearer token configured "
                            + "in metrics.token", null, Map.of(HttpHeader.WWW_AUTHENTICATE.asString(),
                            "Bearer realm=\"metrics\""));
                }
            }
        }
        exchange.response().getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Responses.send(exchange.response(), exchange.callback(), 200, Metrics.CONTENT_TYPE,
                metrics.scrape().getBytes(StandardCharsets.UTF_8));
    }

    /** Compares in constant time, so that the answer's timing does not tell how much of a guess was right. */
    private static boolean bearerMatches(String authorization, String token) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }
}
