package io.berth.server.gc;

import io.berth.registry.events.Actor;
import io.berth.registry.gc.GarbageCollector;
import io.berth.registry.gc.GcReport;
import io.berth.server.auth.AuditLog;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs garbage collections inside the server, on its schedule or for an administrator: one log line per run and,
 * for a real one, one audit line per deletion, naming who asked.
 */
public final class CollectionRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CollectionRunner.class);

    private final GarbageCollector collector;
    private final AuditLog audit;

    public CollectionRunner(GarbageCollector collector, AuditLog audit) {
        this.collector = collector;
        this.audit = audit;
    }

    /**
     * @param subject who asked: a user, or {@code berth} for the schedule
     * @param source  where from: an address, or {@code schedule}
     * @return empty when another collection is running on this registry's database
     */
    public Optional<GcReport> run(boolean dryRun, String subject, String source) {
        // The events of its deletions name the collector, and where the run came from, as their actor.
        Optional<GcReport> report = ScopedValue.where(Actor.CURRENT, Actor.system("gc", source))
                .call(() -> collector.collect(dryRun, item -> {
                    if (!dryRun) {
                        audit.collected(subject, source, item.kind().name().toLowerCase(Locale.ROOT),
                                item.repository(), item.reference(), item.size());
                    }
                }));
        if (report.isEmpty()) {
            LOG.info("garbage collection for {} skipped: another one is running", subject);
        } else {
            LOG.info("{} for {}", GcSummary.oneLine(report.get()), subject);
        }
        return report;
    }
}
