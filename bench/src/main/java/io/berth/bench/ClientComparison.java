package io.berth.bench;

import io.berth.bench.client.Blob;
import io.berth.bench.client.Manifests;
import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.SyntheticImage;
import io.berth.bench.measure.Curl;
import io.berth.bench.measure.DiskSpeed;
import io.berth.bench.phase.Workload;
import io.berth.bench.report.Figure;
import io.berth.bench.report.PhaseResult;
import io.berth.bench.report.ResultsTable;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Berth as a client, against the tools people use today: {@code berth copy} against {@code skopeo copy} between two
 * registries on loopback, and {@code berth pull} of an image with one large layer against {@code curl -o} of that
 * layer. Until the CLI has those commands, the library does the same work from {@code LibraryTool}, one JVM per
 * invocation as the CLI would be.
 *
 * <p>The copies go from the run's Distribution to the run's Berth, both already up and warmed by the phases before:
 * Distribution serves large blobs from the page cache at ~1 GB/s and Berth writes them about twice as fast as
 * Distribution does, so the destination leaves the most room for the client's own cost to show. Each copy goes into
 * a repository of its own, so no client finds a blob already linked there; both registries store a blob once, so
 * every client but the first uploads bytes the destination holds already, which both registries still receive,
 * hash and write in full. Who copies an image first alternates from image to image, {@code sync} before each.
 */
final class ClientComparison {
    private static final String SKOPEO = "/usr/bin/skopeo";
    private static final String OPENSSL = "/usr/bin/openssl";
    private static final String COPY_SOURCE = "bench/copy-source/app-";
    /** The targets: copies this many times as fast as skopeo; pulls within this share of curl's time. */
    private static final double COPY_TARGET = 1.5;
    private static final double PULL_TARGET = 1.2;

    private final Bench bench;
    private final List<String> notes = new ArrayList<>();
    /** The bytes of the images copied: layers, configs and manifests. */
    private long copiedBytes;

    ClientComparison(Bench bench) {
        this.bench = bench;
    }

    /**
     * Runs the comparison and returns its section of the report.
     *
     * @param source      where the images to copy are pushed
     * @param destination where they are copied to, and what serves the large blob
     * @param largeRepository the repository of the destination that holds the large blob
     */
    String run(Path work, long seed, Contender source, Contender destination, String largeRepository,
               String largeDigest, long largeSize) {
        ResultsTable copies = new ResultsTable("Berth", "skopeo");
        ResultsTable pulls = new ResultsTable("Berth", "curl");
        double copyRatio = Double.NaN;
        double pullRatio = Double.NaN;
        long began = System.nanoTime();
        try {
            List<SyntheticImage> images = pushImages(source.client, seed);
            copyRatio = compareCopies(copies, images, source, destination);
            pullRatio = comparePulls(pulls, work, destination, largeRepository, largeDigest, largeSize);
        } catch (Exception e) {
            log("clients: failed: " + e);
            notes.add("failed: " + e);
        }
        log("clients: done in %.0f s".formatted((System.nanoTime() - began) / 1e9));
        return report(copies, pulls, copyRatio, pullRatio);
    }

    /** The images to copy, pushed to the source one at a time, so only one image's layers are ever in memory. */
    private List<SyntheticImage> pushImages(RegistryClient source, long seed) throws Exception {
        log("clients: generating and pushing %d images of %d × %s to the source".formatted(bench.copyImages,
                bench.copyLayers, Workload.size(bench.copyLayerSize)));
        List<SyntheticImage> pushed = new ArrayList<>();
        for (int i = 0; i < bench.copyImages; i++) {
            SyntheticImage image = SyntheticImage.createGzipped(i, COPY_SOURCE + i, bench.copyLayers,
                    Math.toIntExact(bench.copyLayerSize), seed + 30);
            for (Blob blob : image.blobs()) {
                source.pushMonolithic(image.repository(), blob.digest(), blob.content());
            }
            source.putManifest(image.repository(), image.tag(), RegistryClient.OCI_MANIFEST, image.manifest());
            // Keep the manifest and digests, not the layers' bytes.
            pushed.add(new SyntheticImage(image.repository(), image.tag(), image.chunked(), image.config(),
                    List.of(), image.manifest(), image.manifestDigest()));
            copiedBytes += image.totalBytes();
        }
        return pushed;
    }

    /**
     * Each image copied by skopeo, by {@code berth copy} and by the library, one process each, who goes first turning
     * from image to image; then all of them by the library in one process. Returns skopeo's time / the CLI's.
     */
    private double compareCopies(ResultsTable table, List<SyntheticImage> images, Contender source,
                                 Contender destination) throws Exception {
        String from = authority(source.server.url());
        String to = authority(destination.server.url());
        long bytes = copiedBytes;
        List<Run> cliRuns = new ArrayList<>();
        List<Run> libraryRuns = new ArrayList<>();
        List<Run> skopeoRuns = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            SyntheticImage image = images.get(i);
            String src = from + "/" + image.repository() + ":" + image.tag();
            List<String> skopeo = List.of(SKOPEO, "copy", "--quiet", "--src-tls-verify=false",
                    "--dest-tls-verify=false", "docker://" + src, "docker://" + to + "/bench/copy-skopeo/app-" + i
                            + ":" + image.tag());
            List<String> cli = new ArrayList<>(bench.berthCopyCommand());
            cli.addAll(List.of(src, to + "/bench/copy-berth/app-" + i + ":" + image.tag()));
            List<String> library = new ArrayList<>(Bench.libraryTool("copy"));
            library.addAll(List.of(src, to + "/bench/copy-library/app-" + i + ":" + image.tag()));
            for (int turn = 0; turn < 3; turn++) {
                DiskSpeed.sync();
                switch ((turn + i) % 3) {
                    case 0 -> skopeoRuns.add(Run.of(skopeo));
                    case 1 -> cliRuns.add(Run.of(cli));
                    default -> libraryRuns.add(Run.of(library));
                }
            }
        }
        List<String> together = new ArrayList<>(bench.berthCopyCommand());
        for (int i = 0; i < images.size(); i++) {
            SyntheticImage image = images.get(i);
            together.add(from + "/" + image.repository() + ":" + image.tag());
            together.add(to + "/bench/copy-berth-one/app-" + i + ":" + image.tag());
        }
        DiskSpeed.sync();
        Run oneProcess = Run.of(together);

        String title = ("copy %d images (%d × %s layers: gzip streams of random bytes, stored) from Distribution to "
                + "Berth, one process per image: `berth copy`").formatted(images.size(), bench.copyLayers,
                Workload.size(bench.copyLayerSize));
        PhaseResult skopeo = copyResult(title, skopeoRuns, bytes);
        table.add(copyResult(title, cliRuns, bytes), skopeo);
        String libraryTitle = "the same by the client library (`LibraryTool`, a JVM per image)";
        table.add(copyResult(libraryTitle, libraryRuns, bytes), withTitle(skopeo, libraryTitle));
        String oneTitle = "the same %d images by one `berth copy` (SRC DST pairs)".formatted(images.size());
        table.add(copyResult(oneTitle, List.of(oneProcess), bytes), withTitle(skopeo, oneTitle));
        table.add("images not found at the destination afterwards, or not the source's manifest (Berth: the CLI's "
                        + "copies and the library's)",
                Figure.count("errors", missing(destination, images, "copy-berth")
                        + missing(destination, images, "copy-library")
                        + missing(destination, images, "copy-berth-one")),
                Figure.count("errors", missing(destination, images, "copy-skopeo")));
        failures("berth copy", cliRuns);
        failures("LibraryTool copy", libraryRuns);
        failures("berth copy, one process", List.of(oneProcess));
        failures("skopeo", skopeoRuns);
        double ratio = total(skopeoRuns) / total(cliRuns);
        log("clients: copy: berth copy %.1f s, library %.1f s (one berth copy: %.1f s), skopeo %.1f s: %.2f×".formatted(
                total(cliRuns), total(libraryRuns), oneProcess.wallSeconds(), total(skopeoRuns), ratio));
        return ratio;
    }

    private static PhaseResult withTitle(PhaseResult result, String title) {
        return new PhaseResult(title, result.figures(), result.notApplicable(), result.notes());
    }

    /** How many of the images copied into {@code bench/<copy>/app-N} the destination lacks or holds altered. */
    private long missing(Contender destination, List<SyntheticImage> images, String copy) {
        long missing = 0;
        for (int i = 0; i < images.size(); i++) {
            try {
                destination.client.headManifest("bench/" + copy + "/app-" + i, images.get(i).tag(),
                        images.get(i).manifestDigest());
            } catch (Exception e) {
                missing++;
                if (missing <= 2) {
                    notes.add("%s of image %d: %s".formatted(copy, i, e.getMessage()));
                }
            }
        }
        return missing;
    }

    private static PhaseResult copyResult(String title, List<Run> runs, long bytes) {
        double total = total(runs);
        List<Figure> figures = new ArrayList<>(List.of(
                Figure.lowerIsBetter("s (total)", total),
                Figure.higherIsBetter("MB/s", bytes / 1e6 / total)));
        if (runs.size() > 1) {
            figures.add(Figure.lowerIsBetter("s per image (median)", median(runs, Run::wallSeconds)));
        }
        double inside = runs.stream().mapToDouble(Run::innerSeconds).sum();
        figures.add(Figure.lowerIsBetter("s of it inside the JVM (without its start)", inside));
        figures.add(Figure.count("failed runs", runs.stream().filter(run -> run.exit() != 0).count()));
        return new PhaseResult(title, figures, null, List.of());
    }

    /**
     * The large blob, as one layer of an image, pulled into a directory by Berth and downloaded into a file by curl,
     * alternating; both write into the page cache and neither fsyncs. The server's page cache is warm: the blob was
     * downloaded before, and once more here, untimed. Returns Berth's median time / curl's.
     */
    private double comparePulls(ResultsTable table, Path work, Contender registry, String repository, String digest,
                                long size) throws Exception {
        Blob config = Blob.of(SyntheticImage.CONFIG_TYPE, """
                {"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}"""
                .formatted(digest).getBytes(StandardCharsets.UTF_8));
        registry.client.pushMonolithic(repository, config.digest(), config.content());
        byte[] manifest = Manifests.image(config, SyntheticImage.LAYER_TYPE, digest, size);
        registry.client.putManifest(repository, "pull", RegistryClient.OCI_MANIFEST, manifest);
        URI blob = registry.server.url().resolve("/v2/" + repository + "/blobs/" + digest);
        Curl curl = new Curl(Curl.DEFAULT_EXECUTABLE);
        curl.get(blob); // the server's page cache, warm for both
        String image = authority(registry.server.url()) + "/" + repository + ":pull";
        Path file = work.resolve("pulled-by-curl.blob");
        Path dir = work.resolve("pulled-by-berth");
        List<String> curlCommand = List.of(Curl.DEFAULT_EXECUTABLE.toString(), "-s", "-S", "-f", "-o",
                file.toString(), blob.toString());
        // The same work as a verifying client with the fastest common tools: curl, then OpenSSL's SHA-256.
        boolean openssl = Files.isExecutable(Path.of(OPENSSL));
        List<String> verifiedCommand = List.of("/bin/sh", "-c", "\"$0\" \"$@\" && " + OPENSSL + " dgst -sha256 "
                + file, curlCommand.getFirst(), "-s", "-S", "-f", "-o", file.toString(), blob.toString());
        List<String> cliCommand = new ArrayList<>(bench.berthPullCommand());
        cliCommand.addAll(List.of(image, dir.toString()));
        List<String> libraryCommand = new ArrayList<>(Bench.libraryTool("pull"));
        libraryCommand.addAll(List.of(image, dir.toString()));
        List<Run> cliRuns = new ArrayList<>();
        List<Run> libraryRuns = new ArrayList<>();
        List<Run> curlRuns = new ArrayList<>();
        List<Run> verifiedRuns = new ArrayList<>();
        for (int i = 0; i < bench.pullRounds; i++) {
            for (int turn = 0; turn < 4; turn++) {
                deleteRecursively(dir);
                Files.deleteIfExists(file);
                DiskSpeed.sync();
                switch ((turn + i) % 4) {
                    case 0 -> {
                        curlRuns.add(Run.of(curlCommand));
                        if (Files.size(file) != size) {
                            throw new IOException("curl wrote " + Files.size(file) + " bytes, not " + size);
                        }
                    }
                    case 1 -> cliRuns.add(Run.of(cliCommand));
                    case 2 -> libraryRuns.add(Run.of(libraryCommand));
                    default -> {
                        if (openssl) {
                            Run run = Run.of(verifiedCommand);
                            verifiedRuns.add(run.output().contains(digest.substring(digest.indexOf(':') + 1)) ? run
                                    : new Run(run.wallSeconds(), run.innerSeconds(), 1, "digest not printed: "
                                    + run.output()));
                        }
                    }
                }
            }
        }
        deleteRecursively(dir);
        Files.deleteIfExists(file);
        String title = ("pull an image of one %s layer into a directory (`berth pull`) / `curl -o FILE` of the layer, "
                + "%d× each, taking turns; the server's page cache warm").formatted(Workload.size(size),
                bench.pullRounds);
        PhaseResult curlResult = pullResult(title, curlRuns, size);
        PhaseResult cli = pullResult(title, cliRuns, size);
        table.add(cli, curlResult);
        String libraryTitle = "the same by the client library (`LibraryTool`: `Repository.pullBlob` into a file)";
        table.add(pullResult(libraryTitle, libraryRuns, size), withTitle(curlResult, libraryTitle));
        String verifiedTitle = "`berth pull` against `curl -o FILE` then `openssl dgst -sha256 FILE` (the digest "
                + "checked, as Berth does)";
        table.add(withTitle(cli, verifiedTitle), openssl ? pullResult(verifiedTitle, verifiedRuns, size)
                : PhaseResult.notApplicable(verifiedTitle, OPENSSL + " not found"));
        failures("berth pull", cliRuns);
        failures("LibraryTool pull", libraryRuns);
        failures("curl", curlRuns);
        failures("curl + openssl", verifiedRuns);
        double ratio = median(cliRuns, Run::wallSeconds) / median(curlRuns, Run::wallSeconds);
        log("clients: pull: berth pull %.2f s, library %.2f s, curl %.2f s, curl + openssl %.2f s (medians): %.2f"
                .formatted(median(cliRuns, Run::wallSeconds), median(libraryRuns, Run::wallSeconds),
                        median(curlRuns, Run::wallSeconds), median(verifiedRuns, Run::wallSeconds), ratio));
        return ratio;
    }

    private static PhaseResult pullResult(String title, List<Run> runs, long size) {
        double median = median(runs, Run::wallSeconds);
        return new PhaseResult(title, List.of(
                Figure.lowerIsBetter("s (median)", median),
                Figure.higherIsBetter("MB/s (median)", size / 1e6 / median),
                Figure.lowerIsBetter("s (best)", runs.stream().mapToDouble(Run::wallSeconds).min().orElse(Double.NaN)),
                Figure.lowerIsBetter("s inside the JVM (median, without its start)", median(runs, Run::innerSeconds)),
                Figure.count("failed runs", runs.stream().filter(run -> run.exit() != 0).count())),
                null, List.of());
    }

    private void failures(String who, List<Run> runs) {
        runs.stream().filter(run -> run.exit() != 0).limit(3).forEach(run -> notes.add("%s exited with %d: `%s`"
                .formatted(who, run.exit(), run.output().replace('\n', ' ').replace('`', '\''))));
    }

    private String report(ResultsTable copies, ResultsTable pulls, double copyRatio, double pullRatio) {
        StringBuilder out = new StringBuilder();
        out.append("\nClients: `berth copy` (`%s`) against `skopeo copy`, and `berth pull` against `curl -o`; the "
                        .formatted(String.join(" ", bench.berthCopyCommand().subList(1,
                                bench.berthCopyCommand().size())))
                + "client library alone too, from `LibraryTool` in a JVM of its own. Copies from the run's ")
                .append("Distribution to its Berth, each client into repositories of its own, who goes first ")
                .append("turning per image, `sync` before each; times are each process's wall time.\n\n");
        out.append(copies.toMarkdown()).append('\n').append(pulls.toMarkdown());
        out.append(String.format(Locale.ROOT, "\nTargets: copy ≥ %.1f× as fast as skopeo, one process per image: "
                        + "%s. Pull within %.0f %% of curl: %s.\n", COPY_TARGET,
                Double.isNaN(copyRatio) ? "not measured" : "%.2f×, %s".formatted(copyRatio,
                        copyRatio >= COPY_TARGET ? "met" : "**not met**"),
                (PULL_TARGET - 1) * 100, Double.isNaN(pullRatio) ? "not measured"
                        : "Berth takes %.2f× curl's time, %s".formatted(pullRatio,
                        pullRatio <= PULL_TARGET ? "met" : "**not met**")));
        if (!notes.isEmpty()) {
            out.append("\nNotes:\n");
            notes.forEach(note -> out.append("- ").append(note).append('\n'));
        }
        return out.toString();
    }

    private static String authority(URI url) {
        return url.getHost() + ":" + url.getPort();
    }

    private static double total(List<Run> runs) {
        return runs.stream().mapToDouble(Run::wallSeconds).sum();
    }

    private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> value) {
        return Bench.median(runs.stream().map(run -> value.applyAsDouble(run)).toList());
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static void log(String message) {
        System.err.println("[bench] " + message);
    }

    /**
     * One timed run of a client program: its wall time from start to exit, and, when it prints {@code elapsed-ns N}
     * as {@code LibraryTool} does, the time of its work alone (NaN otherwise).
     */
    record Run(double wallSeconds, double innerSeconds, int exit, String output) {
        static Run of(List<String> command) throws IOException, InterruptedException {
            long began = System.nanoTime();
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int exit = process.waitFor();
            double wall = (System.nanoTime() - began) / 1e9;
            double inner = Arrays.stream(output.split("\n")).filter(line -> line.startsWith("elapsed-ns "))
                    .mapToDouble(line -> Long.parseLong(line.substring("elapsed-ns ".length()).trim()) / 1e9)
                    .findFirst().orElse(Double.NaN);
            if (exit != 0) {
                log("clients: `%s` exited with %d: %s".formatted(String.join(" ", command), exit, output));
            }
            return new Run(wall, inner, exit, output);
        }
    }
}
