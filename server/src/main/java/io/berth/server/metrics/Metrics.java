package io.berth.server.metrics;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.berth.registry.Registry;
import io.berth.registry.metadata.SqlMetadataStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The server's meters, in one registry that {@code GET /metrics} renders in Prometheus' text format. Features
 * register their own meters on {@link #registry()}; this class adds the JVM's, the caches' and the database pools'.
 * Scrape-time work (reading the caches' counts, asking the outbox how far behind its endpoints are) runs in
 * {@link #scrape()}, never per request.
 */
public final class Metrics implements AutoCloseable {
    /** What {@code /metrics} answers with: the text exposition format Prometheus has always read. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gcPauses = new JvmGcMetrics();
    private final List<Runnable> beforeScrape = new ArrayList<>();

    public Metrics() {
        // Two meters of the processor binder whose names Prometheus' conventions (promtool) refuse: a unit
        // abbreviated (process_cpu_time_ns_total), a gauge ending in _count (system_cpu_count). The usage gauges stay.
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")
                || id.getName().equals("system.cpu.count")));
        // Hikari's timers would keep client-side percentiles, a rotating histogram each, updated at every
        // connection use: their count, sum and max are enough, and cost a few adds.
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                return id.getName().startsWith("hikaricp.")
                        ? DistributionStatisticConfig.builder().percentiles().build().merge(config) : config;
            }
        });
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        gcPauses.bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Runs {@code refresh} before each scrape: for gauges whose values cost a query to learn. */
    public synchronized void beforeScrape(Runnable refresh) {
        beforeScrape.add(refresh);
    }

    /** The tag and manifest caches' lookups, hits and misses, and the share of hits so far. */
    public void watchCaches(Registry registry) {
        for (String cache : registry.cacheStats().keySet()) {
            Function<Registry, CacheStats> stats = r -> r.cacheStats().get(cache);
            FunctionCounter.builder("berth.cache.requests", registry, r -> stats.apply(r).hitCount())
                    .description("Lookups in the cache that found the entry (hit) or had to load it (miss)")
                    .tags("cache", cache, "result", "hit").register(this.registry);
            FunctionCounter.builder("berth.cache.requests", registry, r -> stats.apply(r).missCount())
                    .description("Lookups in the cache that found the entry (hit) or had to load it (miss)")
                    .tags("cache", cache, "result", "miss").register(this.registry);
            ToDoubleFunction<Registry> ratio = r -> stats.apply(r).requestCount() == 0 ? 0
                    : stats.apply(r).hitRate();
            Gauge.builder("berth.cache.hit.ratio", registry, ratio)
                    .description("Share of the cache's lookups since startup that were hits").tags("cache", cache)
                    .register(this.registry);
        }
    }

    /** The database connection pools: connections active, idle, pending, timeouts and acquisition times. */
    public void watchPools(SqlMetadataStore metadata) {
        metadata.trackPools(new MicrometerMetricsTrackerFactory(registry));
    }

    /** Every meter in Prometheus' text format. */
    public String scrape() {
        List<Runnable> refreshes;
        synchronized (this) {
            refreshes = List.copyOf(beforeScrape);
        }
        refreshes.forEach(Runnable::run);
        return registry.scrape();
    }

    @Override
    public void close() {
        gcPauses.close();
        registry.close();
    }
}
