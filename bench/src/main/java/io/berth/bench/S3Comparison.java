package io.berth.bench;

import io.berth.bench.measure.DiskSpeed;
import io.berth.bench.phase.ManifestReadPhase;
import io.berth.bench.phase.Phase;
import io.berth.bench.phase.PullPhase;
import io.berth.bench.phase.PushPhase;
import io.berth.bench.phase.Workload;
import io.berth.bench.report.Figure;
import io.berth.bench.report.PhaseResult;
import io.berth.bench.report.ResultsTable;
import io.berth.bench.server.PostgresProcess;
import io.berth.bench.server.S3ProxyProcess;
import io.berth.bench.server.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Berth as a scale-out node runs (metadata in PostgreSQL, blobs in S3) against CNCF Distribution's S3 driver, both
 * on one s3proxy, each in a bucket of its own: images of small and of large layers pushed then pulled, and manifest
 * reads by tag. Neither redirects blob downloads to the store, so every byte passes through the registry measured.
 */
final class S3Comparison {
    private static final String BERTH_BUCKET = "berth";
    private static final String DISTRIBUTION_BUCKET = "distribution";
    /** The targets: push and pull at least this many times Distribution's; manifest HEAD by tag too. */
    private static final double TRANSFER_TARGET = 2;
    private static final double HEAD_TARGET = 10;

    private final Bench bench;
    private final List<String> notes = new ArrayList<>();

    S3Comparison(Bench bench) {
        this.bench = bench;
    }

    /** Runs the comparison in {@code work} and returns its section of the report. */
    String run(Path work, long seed) {
        log("generating %d images of 3 × 1 MiB and %d of 2 × %s".formatted(bench.s3Images,
                Bench.LARGE_LAYER_IMAGES, Workload.size(Bench.LARGE_LAYER_SIZE)));
        Workload small = bench.workload("bench/s3-app-", bench.s3Images, 3, 1 << 20, seed + 20);
        Workload large = bench.workload("bench/s3-large-", Bench.LARGE_LAYER_IMAGES, 2, Bench.LARGE_LAYER_SIZE,
                seed + 21, Bench.LARGE_LAYER_CONCURRENCY);
        ManifestReadPhase reads = new ManifestReadPhase(small, Duration.ofSeconds(bench.readSeconds),
                bench.readConcurrency, bench.readClient(Duration.ofSeconds(bench.readSeconds)));
        List<Phase> phases = List.of(new PushPhase(small, bench.chunks), new PullPhase(small),
                new PushPhase(large, bench.chunks), new PullPhase(large), reads);
        ResultsTable table = new ResultsTable();
        List<Double> ratios = new ArrayList<>();
        try (PostgresProcess postgres = PostgresProcess.start(Path.of("scripts/test-postgres").toAbsolutePath(),
                bench.s3PostgresPort);
             S3ProxyProcess store = S3ProxyProcess.start(bench.s3proxyJar.toAbsolutePath(),
                     work.resolve("s3proxy"), List.of(BERTH_BUCKET, DISTRIBUTION_BUCKET),
                     work.resolve("s3proxy.log"));
             ServerProcess berthServer = ServerProcess.berthOnS3(bench.berthLauncher.toAbsolutePath(),
                     bench.berthJavaOptions, work.resolve("berth-s3-data"), work.resolve("berth-s3.log"),
                     postgres.jdbcUrl(), store.endpoint(), BERTH_BUCKET, S3ProxyProcess.ACCESS_KEY,
                     S3ProxyProcess.SECRET_KEY);
             ServerProcess distributionServer = ServerProcess.distributionOnS3(bench.distributionBinary,
                     work.resolve("distribution-s3-data"), work.resolve("distribution-s3.log"), store.endpoint(),
                     DISTRIBUTION_BUCKET, S3ProxyProcess.ACCESS_KEY, S3ProxyProcess.SECRET_KEY)) {
            log("s3: s3proxy at %s, PostgreSQL at %s".formatted(store.endpoint(), postgres.jdbcUrl()));
            Contender berth = new Contender(berthServer);
            Contender distribution = new Contender(distributionServer);
            List<Contender> contenders = List.of(berth, distribution);
            for (Contender contender : contenders) {
                contender.server.start();
                log("s3: %s answers after %d ms".formatted(contender.name(),
                        contender.server.startTime().toMillis()));
                contender.client.probeSinglePostUploads("bench/s3-probe");
            }
            if (bench.warmupImages > 0) {
                Workload warm = bench.workload("bench/s3-warmup-", bench.warmupImages, 2, 64 * 1024, seed + 22);
                List<Phase> warmUp = List.of(new PushPhase(warm, bench.chunks), new PullPhase(warm),
                        new ManifestReadPhase(warm, Duration.ofSeconds(3), bench.readConcurrency,
                                bench.readClient(Duration.ofSeconds(1))));
                for (Contender contender : contenders) {
                    log("s3: warm-up: " + contender.name());
                    for (Phase phase : warmUp) {
                        phase.run(contender.client);
                    }
                }
            }
            for (int p = 0; p < phases.size(); p++) {
                for (Contender contender : p % 2 == 0 ? contenders : contenders.reversed()) {
                    DiskSpeed.sync();
                    contender.results.addAll(Bench.runPhase(phases.get(p), contender));
                }
            }
            for (int i = 0; i < berth.results.size(); i++) {
                PhaseResult ours = berth.results.get(i);
                PhaseResult theirs = distribution.results.get(i);
                table.add(ours, theirs);
                ratios.add(figure(ours) / figure(theirs));
            }
            table.add("peak RSS over the comparison (`VmHWM`)",
                    Figure.lowerIsBetter("MiB", berth.server.memory().peakKib() / 1024.0),
                    Figure.lowerIsBetter("MiB", distribution.server.memory().peakKib() / 1024.0));
            for (Contender contender : contenders) {
                for (PhaseResult result : contender.results) {
                    result.notes().forEach(note -> notes.add("%s, \"%s\": %s".formatted(contender.name(),
                            result.title(), note)));
                    if (result.notApplicable() != null) {
                        notes.add("%s, \"%s\": %s".formatted(contender.name(), result.title(),
                                result.notApplicable()));
                    }
                }
            }
        } catch (Exception e) {
            log("s3: failed: " + e);
            return "\nOn S3: the comparison failed: " + e + "\n";
        }
        return report(table, ratios);
    }

    /** The figure the targets are about: images/s of a push or pull, requests/s of a manifest read. */
    private static double figure(PhaseResult result) {
        return result.figures().isEmpty() ? Double.NaN : result.figures().getFirst().value();
    }

    private String report(ResultsTable table, List<Double> ratios) {
        StringBuilder out = new StringBuilder();
        out.append("\nOn S3: Berth with PostgreSQL (durable commits) and S3 storage against Distribution with its S3 ")
                .append("driver, both on one s3proxy (filesystem backend, same disk), each in its own bucket, ")
                .append("blob downloads passing through the registry (no redirects), fresh servers warmed up ")
                .append("the same way, phases alternating which goes first.\n\n");
        out.append(table.toMarkdown());
        if (ratios.size() == 6) {
            out.append(String.format(Locale.ROOT, "\nTargets: push and pull ≥ %.0f× (3 × 1 MiB: push %.2f×, pull "
                            + "%.2f×; 2 × 64 MiB: push %.2f×, pull %.2f×): %s. Manifest `HEAD` by tag ≥ %.0f×: "
                            + "%.2f×, %s.\n", TRANSFER_TARGET, ratios.get(0), ratios.get(1), ratios.get(2),
                    ratios.get(3), met(ratios.subList(0, 4).stream().allMatch(r -> r >= TRANSFER_TARGET)),
                    HEAD_TARGET, ratios.get(4), met(ratios.get(4) >= HEAD_TARGET)));
        }
        if (!notes.isEmpty()) {
            out.append("\nNotes:\n");
            notes.forEach(note -> out.append("- ").append(note).append('\n'));
        }
        return out.toString();
    }

    private static String met(boolean met) {
        return met ? "met" : "**not met**";
    }

    private static void log(String message) {
        System.err.println("[bench] " + message);
    }
}
