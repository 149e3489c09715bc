package io.berth.server;

import io.berth.registry.Registry;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.lifecycle.Expiry;
import io.berth.registry.metadata.Image;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.auth.AuditLog;
import io.berth.server.lifecycle.Lifecycle;
import io.berth.server.lifecycle.LifecyclePolicies;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code berth lifecycle}: previews and applies the lifecycle policies of the config file and the admin API. Like
 * {@code berth token} it opens the metadata database directly.
 */
@Command(name = "lifecycle", mixinStandardHelpOptions = true,
        description = "Previews and applies lifecycle policies (Amazon ECR's grammar) that expire images.",
        subcommands = {LifecycleCommand.Preview.class, LifecycleCommand.Apply.class})
final class LifecycleCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @FunctionalInterface
    private interface Work {
        int run(Lifecycle lifecycle, PrintWriter out, PrintWriter err);
    }

    /** Runs {@code work} with the lifecycle policies of the configured installation (its stores opened directly). */
    private static int withLifecycle(CommandSpec spec, ConfigOptions options, Work work) throws Exception {
        return options.run(spec, false, (config, out, err) -> {
            List<LifecyclePolicies.Assigned> configured = LifecyclePolicies.fromConfig(config.lifecycle());
            try (Installation installation = Installation.open(config)) {
                SqlMetadataStore store = installation.metadata();
                BlobStore blobs = installation.blobs();
                Clock clock = Clock.systemUTC();
                store.events().addListener(new AuditLog());
                Registry registry = new Registry(blobs, store, config.registryOptions(false));
                Lifecycle lifecycle = new Lifecycle(registry, new LifecyclePolicies(configured, store, clock), clock);
                return work.run(lifecycle, out, err);
            }
        });
    }

    @Command(name = "preview", mixinStandardHelpOptions = true,
            description = "Lists the images each policy's rules would expire now, and why; changes nothing.")
    static final class Preview implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConfigOptions configOptions = new ConfigOptions();

        @Option(names = "--repository", paramLabel = "NAME", description = "Only this repository.")
        String repository;

        @Override
        public Integer call() throws Exception {
            return withLifecycle(spec, configOptions, (lifecycle, out, err) -> {
                List<Lifecycle.Plan> plans = lifecycle.preview(repository);
                if (plans.isEmpty()) {
                    out.println(nothingGoverned(repository));
                    return 0;
                }
                List<Row> rows = new ArrayList<>();
                for (Lifecycle.Plan plan : plans) {
                    out.println(plan.repository() + ": " + governedBy(plan) + "; "
                            + count(plan.expiries().size()) + " to expire");
                    plan.expiries().forEach(expiry -> rows.add(new Row(plan.repository(), expiry)));
                }
                printExpiries(out, rows);
                out.println();
                out.println(count(rows.size()) + " would expire. Apply with: berth lifecycle apply");
                return 0;
            });
        }
    }

    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = {"Expires what the policies select now: deletes those images and their tags (garbage "
                    + "collection then frees their blobs).",
                    "It works on the database directly; a server running on it notices the deletions within a "
                            + "second. The server's POST /admin/lifecycle/apply and its schedule do the same."})
    static final class Apply implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConfigOptions configOptions = new ConfigOptions();

        @Option(names = "--repository", paramLabel = "NAME", description = "Only this repository.")
        String repository;

        @Override
        public Integer call() throws Exception {
            return withLifecycle(spec, configOptions, (lifecycle, out, err) -> {
                List<Lifecycle.Outcome> outcomes = lifecycle.apply(repository, "cli");
                if (outcomes.isEmpty()) {
                    out.println(nothingGoverned(repository));
                    return 0;
                }
                List<Row> rows = new ArrayList<>();
                int children = 0;
                int skipped = 0;
                for (Lifecycle.Outcome outcome : outcomes) {
                    String repository = outcome.plan().repository();
                    outcome.expired().forEach(expiry -> rows.add(new Row(repository, expiry)));
                    children += outcome.children().size();
                    skipped += outcome.skipped().size();
                }
                printExpiries(out, rows);
                out.println();
                out.println("Expired " + count(rows.size())
                        + (children > 0 ? " (and " + children + " index children only they kept)" : "") + "."
                        + (skipped > 0 ? " Left " + count(skipped) + " alone that changed since they were evaluated."
                        : ""));
                return 0;
            });
        }
    }

    private record Row(String repository, Expiry expiry) {
    }

    private static void printExpiries(PrintWriter out, List<Row> rows) {
        if (rows.isEmpty()) {
            return;
        }
        List<List<String>> table = new ArrayList<>();
        table.add(List.of("REPOSITORY", "RULE", "DIGEST", "TAGS", "PUSHED", "LAST PULLED", "WHY"));
        for (Row row : rows) {
            Image image = row.expiry().image();
            table.add(List.of(row.repository(), String.valueOf(row.expiry().rule().priority()),
                    image.digest().toString(), image.tags().isEmpty() ? "-" : String.join(",", image.tags()),
                    time(image.pushedAt()), image.lastPulledAt() == null ? "never" : time(image.lastPulledAt()),
                    row.expiry().reason()));
        }
        out.println();
        new TextTable(table).print(out);
    }

    private static String governedBy(Lifecycle.Plan plan) {
        return "policy for " + plan.policy().repositories() + " ("
                + plan.policy().source().name().toLowerCase(Locale.ROOT) + ")";
    }

    private static String nothingGoverned(String repository) {
        return repository != null ? "No lifecycle policy governs " + repository + "."
                : "No lifecycle policy governs any repository (set them in the config file under lifecycle:, or "
                        + "with PUT /admin/lifecycle).";
    }

    private static String count(int images) {
        return images == 1 ? "1 image" : images + " images";
    }

    private static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
