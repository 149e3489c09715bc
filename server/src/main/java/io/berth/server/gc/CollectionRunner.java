package io.berth.server.gc;

import io.berth.registry.events.Actor;
import io.berth.registry.gc.GarbageCollector;
import io.berth.registry.gc.GcReport;
import io.berth.server.auth.AuditLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
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
    private final Counter runs;
    private final Counter freed;
    private final Map<GcReport.Kind, Counter> deleted = new EnumMap<>(GcReport.Kind.class);

    public CollectionRunner(GarbageCollector collector, AuditLog audit) {
        this(collector, audit, new CompositeMeterRegistry()); // a registry of nothing: counts go nowhere
    }

    /** With the collections, the bytes they freed and what they deleted counted on {@code meters}. */
    public CollectionRunner(GarbageCollector collector, AuditLog audit, MeterRegistry meters) {
        this.collector = collector;
        this.audit = audit;
        this.runs = Counter.builder("berth.gc.runs").description("Garbage collections run here (not dry runs)")
                .register(meters);
        this.freed = Counter.builder("berth.gc.freed").baseUnit("bytes")
                .description("Bytes of blob storage garbage collection freed: blobs and upload data")
                .register(meters);
        for (GcReport.Kind kind : GcReport.Kind.values()) {
            deleted.put(kind, Counter.builder("berth.gc.deleted")
                    .description("What garbage collection deleted, by kind (uploads, untaggedManifests, referrers, "
                            + "links, blobs)")
                    .tag("kind", kind.label()).register(meters));
        }
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
        report.filter(done -> !done.dryRun()).ifPresent(this::count);
        if (report.isEmpty()) {
            LOG.info("garbage collection for {} skipped: another one is running", subject);
        } else {
            LOG.info("{} for {}", GcSummary.oneLine(report.get()), subject);
        }
        return report;
    }

    private void count(GcReport report) {
        runs.increment();
        freed.increment(report.bytesFreed());
        deleted.forEach((kind, counter) -> counter.increment(report.tally(kind).count()));
    }
}
