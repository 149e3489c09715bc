package io.berth.server;

import io.berth.registry.Registry;
import io.berth.registry.events.Actor;
import io.berth.registry.RegistryOptions;
import io.berth.registry.Uploads;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.gc.GarbageCollector;
import io.berth.registry.gc.GcReport;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.gc.GcSummary;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code berth gc}: a garbage collection now. Opens the stores directly, like {@code berth token}; safe while servers
 * run on them, which keep serving meanwhile (one collection at a time: the command refuses while another runs).
 */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = "Collects garbage now: expired uploads, untagged manifests where configured, referrers of "
                + "deleted subjects, unreferenced repository links and blobs. Safe while the registry serves.")
final class GcCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions configOptions = new ConfigOptions();

    @Option(names = "--dry-run", description = "List what would be deleted, and delete nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        return configOptions.run(spec, false, (config, out, err) -> {
            try (Installation installation = Installation.open(config)) {
                BlobStore blobs = installation.blobs();
                SqlMetadataStore metadata = installation.metadata();
                // No cache worth keeping: this process only deletes, and exits.
                RegistryOptions options = config.registryOptions(false);
                Registry registry = new Registry(blobs, metadata, options);
                GarbageCollector collector = new GarbageCollector(blobs, metadata,
                        new Uploads(blobs, metadata, options), registry, config.gc().rules(), Clock.systemUTC());
                Optional<GcReport> report = ScopedValue.where(Actor.CURRENT, Actor.system("gc", "cli"))
                        .call(() -> collector.collect(dryRun, item -> { }));
                if (report.isEmpty()) {
                    err.println("berth: another garbage collection is running on this registry; try again when it "
                            + "ends");
                    return 1;
                }
                GcSummary.print(report.get(), out);
                return 0;
            }
        });
    }
}
