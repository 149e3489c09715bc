package io.berth.server.http;

import io.berth.registry.ErrorCode;
import io.berth.registry.gc.GcReport;
import io.berth.server.gc.CollectionRunner;
import io.berth.server.gc.GcSummary;
import java.util.Optional;

/** {@code POST /admin/gc}: garbage collection on demand. */
final class GcAdmin {
    private final CollectionRunner collections;

    GcAdmin(CollectionRunner collections) {
        this.collections = collections;
    }

    /**
     * {@code POST /admin/gc[?dryRun=true]}: runs a garbage collection now and answers its report; a dry run lists
     * what would be deleted and deletes nothing. 429 while another collection runs.
     */
    void collect(Exchange exchange) {
        String dryRun = exchange.query().getValue("dryRun");
        if (dryRun != null && !dryRun.equals("true") && !dryRun.equals("false")) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "dryRun must be true or false");
        }
        Optional<GcReport> report = collections.run("true".equals(dryRun), exchange.caller().subject(),
                exchange.caller().source());
        if (report.isEmpty()) {
            throw new HttpError(429, ErrorCode.TOOMANYREQUESTS, "a garbage collection is running; try again when it ends");
        }
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json",
                GcSummary.json(report.get()));
    }
}
