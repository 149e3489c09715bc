package io.berth.bench;

import io.berth.bench.client.SyntheticImage;
import io.berth.bench.events.EventReceiver;
import io.berth.bench.measure.DiskSpeed;
import io.berth.bench.measure.Curl;
import io.berth.bench.measure.Wrk;
import io.berth.bench.phase.LargeBlobPhase;
import io.berth.bench.phase.ManagementApiPhase;
import io.berth.bench.phase.ManifestReadPhase;
import io.berth.bench.phase.Phase;
import io.berth.bench.phase.PullPhase;
import io.berth.bench.phase.PushPhase;
import io.berth.bench.phase.ReadClient;
import io.berth.bench.phase.ReferrersPhase;
import io.berth.bench.phase.TagsPhase;
import io.berth.bench.phase.Workload;
import io.berth.bench.report.Figure;
import io.berth.bench.report.PhaseResult;
import io.berth.bench.report.ResultsTable;
import io.berth.bench.server.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs Berth and CNCF Distribution side by side on fresh data directories, drives the same phases against both,
 * alternating which goes first, and prints one markdown table.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmarks Berth against CNCF Distribution (docker-registry) on this machine.")
public final class Bench implements Callable<Integer> {

    @Option(names = "--images", description = "Images to push and pull (default: ${DEFAULT-VALUE}).")
    int images = 400;

    @Option(names = "--layers", description = "Layers per image (default: ${DEFAULT-VALUE}).")
    int layers = 4;

    @Option(names = "--layer-size", converter = ByteSize.class, defaultValue = "1m",
            description = "Bytes per layer, e.g. 512k (default: ${DEFAULT-VALUE}).")
    long layerSize;

    @Option(names = "--chunks", description = "PATCHes per blob for the chunked half of the images "
            + "(default: ${DEFAULT-VALUE}).")
    int chunks = 2;

    @Option(names = "--repositories", description = "Repositories the images are spread over "
            + "(default: ${DEFAULT-VALUE}).")
    int repositories = 10;

    @Option(names = {"-c", "--concurrency"}, description = "Requests in flight (default: ${DEFAULT-VALUE}).")
    int concurrency = 8;

    @Option(names = "--read-seconds", description = "Seconds of HEAD, then of GET, on manifests; with "
            + "--read-client=wrk also of each referrers listing, of the tag pages and of the management API's "
            + "listings (default: ${DEFAULT-VALUE}).")
    int readSeconds = 30;

    /** Who sends the read-only closed-loop requests. */
    enum ReadClientKind { JAVA, WRK }

    @Option(names = "--read-client", description = "Load generator of the manifest reads, referrers listings and "
            + "tag pages: java (every response verified) or wrk (much less client CPU; a duration instead of a "
            + "count; 50 responses verified with the Java client first). Default: wrk when /usr/bin/wrk exists.")
    ReadClientKind readClientKind = Files.isExecutable(Wrk.DEFAULT_EXECUTABLE) ? ReadClientKind.WRK
            : ReadClientKind.JAVA;

    @Option(names = "--read-concurrency",
            description = "Requests in flight for the HEAD/GET manifest phase (default: ${DEFAULT-VALUE}).")
    int readConcurrency = 32;

    @Option(names = "--referrers", description = "Referrers attached to one image (default: ${DEFAULT-VALUE}).")
    int referrers = 50;

    @Option(names = "--referrer-lists", description = "Referrers listings, each variant "
            + "(default: ${DEFAULT-VALUE}).")
    int referrerLists = 2000;

    @Option(names = "--tags", description = "Tags put on one manifest (default: ${DEFAULT-VALUE}).")
    int tags = 10_000;

    @Option(names = "--tag-pages", description = "Random tag pages read (default: ${DEFAULT-VALUE}).")
    int tagPages = 2000;

    @Option(names = "--large-blob", converter = ByteSize.class, defaultValue = "1g",
            description = "Size of the large blob (default: ${DEFAULT-VALUE}).")
    long largeBlob;

    @Option(names = "--large-chunk", converter = ByteSize.class, defaultValue = "64m",
            description = "PATCH size for the large blob (default: ${DEFAULT-VALUE}).")
    long largeChunk;

    /** Who moves the large blob. */
    enum LargeClientKind { JAVA, CURL }

    @Option(names = "--large-client", description = "Client of the large blob's upload and downloads: java "
            + "(PATCHes from a generator, every download hashed) or curl (one PUT from a file, downloads to "
            + "/dev/null after one verified download). Default: curl when /usr/bin/curl exists.")
    LargeClientKind largeClientKind = Files.isExecutable(Curl.DEFAULT_EXECUTABLE) ? LargeClientKind.CURL
            : LargeClientKind.JAVA;

    @Option(names = "--large-downloads", description = "Times the large blob is downloaded "
            + "(default: ${DEFAULT-VALUE}).")
    int largeDownloads = 7;

    @Option(names = "--warmup-images", description = "Small images for an untimed warm-up of every phase, at "
            + "small sizes, against each server before measuring; 0 to start cold (default: ${DEFAULT-VALUE}).")
    int warmupImages = 300;

    @Option(names = "--notifications", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After the comparison with Distribution, compare two more Berths, one sending every event "
                    + "to a CloudEvents webhook endpoint in this process and one without, in rounds of the push "
                    + "phase, and report the events' delivery lag (default: on; --no-notifications leaves it out).")
    boolean notifications;

    @Option(names = "--notification-rounds", description = "Rounds of that comparison: each pushes --images new "
            + "images into both, alternating which goes first, after two rounds that are not counted (default: "
            + "${DEFAULT-VALUE}).")
    int notificationRounds = 3;

    @Option(names = "--notification-batch", description = "The endpoint's batch: the most events one request "
            + "carries; 1 sends each CloudEvent alone, more sends them in CloudEvents' batch mode (default: "
            + "${DEFAULT-VALUE}).")
    int notificationBatch = 1;

    @Option(names = "--s3", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After the comparisons above, compare Berth on PostgreSQL and S3 with Distribution's S3 "
                    + "driver, both on one s3proxy (default: on; --no-s3 leaves it out).")
    boolean s3;

    @Option(names = "--s3-images", description = "Images of 3 × 1 MiB pushed and pulled in the comparison on S3 "
            + "(default: ${DEFAULT-VALUE}).")
    int s3Images = 100;

    @Option(names = "--s3proxy-jar", description = "s3proxy's jar with its dependencies (default: ${DEFAULT-VALUE}, "
            + "where the build copies it).")
    Path s3proxyJar = Path.of("bench/target/s3proxy/s3proxy.jar");

    @Option(names = "--s3-postgres-port", description = "Loopback port of the PostgreSQL the comparison on S3 starts "
            + "with scripts/test-postgres and removes after it (default: ${DEFAULT-VALUE}).")
    int s3PostgresPort = 5439;

    @Option(names = "--api-images", description = "Images of the repository whose management API listing is read "
            + "(Berth only; default: ${DEFAULT-VALUE}; 0 leaves the management API phase out).")
    int apiImages = 10_000;

    @Option(names = "--api-repositories", description = "Repositories for the management API's repository listing "
            + "(default: ${DEFAULT-VALUE}).")
    int apiRepositories = 10_000;

    @Option(names = "--api-blobs", description = "Blobs of the namespace whose usage the management API counts "
            + "(default: ${DEFAULT-VALUE}).")
    int apiBlobs = 100_000;

    @Option(names = "--api-reads", description = "Reads of each management API listing with the Java client (with "
            + "wrk: a tenth of them as a warm-up, then --read-seconds of each); a fifth of them of each web UI page, "
            + "and a twentieth of the usage (default: ${DEFAULT-VALUE}).")
    int apiReads = 500;

    @Option(names = "--clients", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After the phases, compare Berth's client with skopeo (image copies from the run's "
                    + "Distribution to its Berth) and with curl (the large blob pulled into a file); default: on, "
                    + "--no-clients leaves it out.")
    boolean clients;

    @Option(names = "--copy-images", description = "Images copied by each client (default: ${DEFAULT-VALUE}).")
    int copyImages = 10;

    @Option(names = "--copy-layers", description = "Layers of each copied image (default: ${DEFAULT-VALUE}).")
    int copyLayers = 3;

    @Option(names = "--copy-layer-size", converter = ByteSize.class, defaultValue = "64m",
            description = "Bytes per layer of the copied images (default: ${DEFAULT-VALUE}).")
    long copyLayerSize;

    @Option(names = "--pull-rounds", description = "Pulls of the large blob by each client, alternating "
            + "(default: ${DEFAULT-VALUE}).")
    int pullRounds = 3;

    @Option(names = "--berth-copy-command", description = "Berth's copy command, to which SRC DST are appended "
            + "(default: `<--berth launcher> copy --plain-http`).")
    String berthCopy = "";

    @Option(names = "--berth-pull-command", description = "Berth's pull command, to which REF DIR are appended "
            + "(default: `<--berth launcher> pull --plain-http`).")
    String berthPull = "";

    @Option(names = "--dd-mib", description = "MiB written by the dd disk test (default: ${DEFAULT-VALUE}).")
    int ddMebibytes = 1024;

    @Option(names = "--berth", description = "Berth's launcher, run as `<launcher> serve --listen ... --data ...` "
            + "(default: ${DEFAULT-VALUE}).")
    Path berthLauncher = Path.of("berth");

    @Option(names = "--berth-java-opts", description = "JVM options for Berth, replacing the launcher's defaults "
            + "(passed as BERTH_JAVA_OPTS; default: the launcher's own).")
    String berthJavaOptions = "";

    @Option(names = "--starts", description = "Times each server is started to time its start; the median is "
            + "reported (default: ${DEFAULT-VALUE}).")
    int starts = 3;

    @Option(names = "--distribution", description = "CNCF Distribution's binary (default: ${DEFAULT-VALUE}).")
    Path distributionBinary = Path.of("/usr/bin/docker-registry");

    @Option(names = "--work-dir", description = "Emptied, then holds both data directories and the server logs "
            + "(default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of("bench/target/work");

    @Option(names = "--keep-data", description = "Keep the data directories after the run.")
    boolean keepData;

    @Option(names = "--results", description = "Where the markdown report is written (default: ${DEFAULT-VALUE}).")
    Path resultsFile = Path.of("bench/target/results.md");

    private static final Duration IDLE_SETTLE = Duration.ofSeconds(2);
    /**
     * Images of two large layers, pushed then pulled at once: layers large enough that a server could write them
     * around the page cache (and so make their first pull read the disk), which the images of small layers never
     * reach.
     */
    static final int LARGE_LAYER_IMAGES = 6;
    static final int LARGE_LAYER_SIZE = 64 << 20;
    static final int LARGE_LAYER_CONCURRENCY = 4;
    private static final String NOTIFYING = "Berth + endpoint";
    /** How long the receiver must hear nothing before the warm-up's events count as delivered. */
    private static final Duration EVENTS_QUIET = Duration.ofSeconds(2);
    /** How long the push's events may take to arrive after the push ended before the rest count as not received. */
    private static final Duration EVENTS_LIMIT = Duration.ofSeconds(60);
    /** The targets: push with an endpoint at least this share of the push without; the lag's p99. */
    private static final double PUSH_SHARE_TARGET = 0.95;
    private static final double LAG_P99_TARGET_MILLIS = 1000;
    /** Push rounds of the notifications comparison run before the counted ones, to let both servers' JIT settle. */
    private static final int UNCOUNTED_ROUNDS = 2;
    private static final String CPU_METRIC = "server CPU s per 100 images";

    /** The rounds' pushes with and without an endpoint, and the delivery of their events; empty when not run. */
    private final List<PhaseResult> notifyingPushes = new ArrayList<>();
    private final List<PhaseResult> plainPushes = new ArrayList<>();
    private PhaseResult delivery;
    private final List<String> notificationNotes = new ArrayList<>();

    private final List<String> notes = new ArrayList<>();
    private LargeBlobPhase largeBlobPhase;
    /** The client comparison's part of the report; empty when not run. */
    private String clientsReport = "";
    static final String LIBRARY_TOOL = "io.berth.bench.tool.LibraryTool";

    public static void main(String[] args) {
        // The JDK client reads with 16 KiB buffers by default, which caps one download at ~0.5 GB/s here; with
        // these it moves ~1.2 GB/s, well above what either server is asked to do, so the servers set the pace.
        System.setProperty("jdk.httpclient.bufsize", Integer.toString(1 << 20));
        System.setProperty("jdk.httpclient.receiveBufferSize", Integer.toString(4 << 20));
        System.exit(new CommandLine(new Bench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!Files.isExecutable(berthLauncher)) {
            return fail(berthLauncher + " not found: run from the repository root, or pass --berth");
        }
        if (!Files.isExecutable(distributionBinary)) {
            return fail(distributionBinary + " not found: install CNCF Distribution (apt-get install docker-registry)");
        }
        Path work = freshDirectory(workDir.toAbsolutePath());
        Machine machine = Machine.describe(work);
        log("machine: " + machine.summary());
        log("disk: dd %d MiB with conv=fsync into %s".formatted(ddMebibytes, work));
        double ddSpeed = DiskSpeed.fsyncedWriteMegabytesPerSecond(work, ddMebibytes);
        log("disk: %.0f MB/s".formatted(ddSpeed));

        long seed = new SecureRandom().nextLong();
        List<Phase> phases = phases(seed);

        List<Duration> extraBerthStarts = new ArrayList<>();
        List<Duration> extraDistributionStarts = new ArrayList<>();
        for (int i = 1; i < starts; i++) { // extra starts on their own data directories, stopped right away
            try (ServerProcess berth = berth(work, "berth-start-" + i);
                 ServerProcess distribution = distribution(work, "distribution-start-" + i)) {
                extraBerthStarts.add(timeStart(berth));
                extraDistributionStarts.add(timeStart(distribution));
            }
        }

        ResultsTable table = new ResultsTable();
        try (ServerProcess berthProcess = berth(work, "berth");
             ServerProcess distributionProcess = distribution(work, "distribution")) {
            Contender berth = new Contender(berthProcess);
            Contender distribution = new Contender(distributionProcess);
            List<Contender> contenders = List.of(berth, distribution);
            berth.startTimes.addAll(extraBerthStarts);
            distribution.startTimes.addAll(extraDistributionStarts);
            for (Contender contender : contenders) {
                contender.startTimes.add(timeStart(contender.server));
            }
            Thread.sleep(IDLE_SETTLE.toMillis());
            for (Contender contender : contenders) {
                contender.idleRssMebibytes = mebibytes(contender.server.memory().rssKib());
            }

            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("rss-sampler").factory());
            sampler.scheduleAtFixedRate(() -> contenders.forEach(c -> c.server.sampleMemory()), 0, 100,
                    TimeUnit.MILLISECONDS);
            for (Contender contender : contenders) {
                probeUploads(contender);
            }
            if (warmupImages > 0) {
                warmUp(contenders, seed);
            }
            runAlternating(phases, contenders);
            sampler.shutdownNow();
            if (clients) {
                DiskSpeed.sync();
                clientsReport = new ClientComparison(this).run(work, seed, distribution, berth,
                        largeBlobPhase.repository(), largeBlobPhase.digest(), largeBlobPhase.size());
            }

            table.add("start: time to the first 200 on `GET /v2/` (median of %d starts)".formatted(starts),
                    Figure.lowerIsBetter("ms", berth.medianStartTime().toMillis()),
                    Figure.lowerIsBetter("ms", distribution.medianStartTime().toMillis()));
            table.add("idle RSS (%d s after start)".formatted(IDLE_SETTLE.toSeconds()),
                    Figure.lowerIsBetter("MiB", berth.idleRssMebibytes),
                    Figure.lowerIsBetter("MiB", distribution.idleRssMebibytes));
            for (int i = 0; i < berth.results.size(); i++) {
                table.add(berth.results.get(i), distribution.results.get(i));
            }
            table.add("peak RSS over the run (`VmHWM`, and `VmRSS` sampled every 100 ms)",
                    Figure.lowerIsBetter("MiB", mebibytes(berth.server.peakRssKib())),
                    Figure.lowerIsBetter("MiB", mebibytes(distribution.server.peakRssKib())));
            table.add("disk: `dd` %d MiB `conv=fsync` (same disk for both)".formatted(ddMebibytes),
                    Figure.count("MB/s", Math.round(ddSpeed)), Figure.count("MB/s", Math.round(ddSpeed)));
            contenders.forEach(this::collectNotes);
        }
        if (notifications) {
            measureNotifications(work, seed);
        }
        String report = report(machine, seed, table) + clientsReport + (s3 ? new S3Comparison(this).run(work, seed) : "");
        System.out.println(report);
        Files.createDirectories(resultsFile.toAbsolutePath().getParent());
        Files.writeString(resultsFile, report);
        log("report written to " + resultsFile.toAbsolutePath());
        if (!keepData) {
            deleteRecursively(work);
        }
        return 0;
    }

    /** The measured phases, in order; each works on what the ones before it pushed. */
    private List<Phase> phases(long seed) {
        log("generating %d images of %d × %s (seed %d)".formatted(images, layers, Workload.size(layerSize), seed));
        Workload workload = workload("bench/app-", images, layers, Math.toIntExact(layerSize), seed);
        log("generating the %s blob".formatted(Workload.size(largeBlob)));
        ReadClient reads = readClient(Duration.ofSeconds(readSeconds));
        log("generating %d images of 2 × %s".formatted(LARGE_LAYER_IMAGES, Workload.size(LARGE_LAYER_SIZE)));
        Workload largeLayers = workload("bench/large-layers-", LARGE_LAYER_IMAGES, 2, LARGE_LAYER_SIZE, seed + 2,
                LARGE_LAYER_CONCURRENCY);
        largeBlobPhase = new LargeBlobPhase("bench/large", largeBlob, largeChunk, largeDownloads, seed,
                largeClient());
        List<Phase> phases = new ArrayList<>(List.of(
                new PushPhase(workload, chunks),
                new PullPhase(workload),
                new PushPhase(largeLayers, chunks),
                new PullPhase(largeLayers),
                new ManifestReadPhase(workload, Duration.ofSeconds(readSeconds), readConcurrency, reads),
                new ReferrersPhase(workload, referrers, referrerLists, reads),
                new TagsPhase(workload, "bench/tags", tags, tagPages, reads),
                largeBlobPhase));
        if (apiImages > 0) {
            phases.add(new ManagementApiPhase(workload, apiImages, apiRepositories, apiBlobs, apiReads, reads));
        }
        return phases;
    }

    /** Berth's copy command, to which a source and a destination reference are appended. */
    List<String> berthCopyCommand() {
        return berthCopy.isBlank() ? List.of(berthLauncher.toAbsolutePath().toString(), "copy", "--plain-http")
                : List.of(berthCopy.trim().split("\\s+"));
    }

    /** Berth's pull command, to which an image reference and a directory are appended. */
    List<String> berthPullCommand() {
        return berthPull.isBlank() ? List.of(berthLauncher.toAbsolutePath().toString(), "pull", "--plain-http")
                : List.of(berthPull.trim().split("\\s+"));
    }

    /**
     * The client library doing the same, from {@code LibraryTool} in a JVM of its own with the launcher's heap and
     * collector (no AOT cache): what the library costs apart from the CLI around it.
     */
    static List<String> libraryTool(String command) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return List.of(java, "-XX:+UseSerialGC", "-Xms32m", "-Xmx160m", "-XX:MaxDirectMemorySize=96m", "-cp",
                System.getProperty("java.class.path"), LIBRARY_TOOL, command, "--plain-http");
    }

    private Curl largeClient() {
        return largeClientKind == LargeClientKind.CURL ? new Curl(Curl.DEFAULT_EXECUTABLE) : null;
    }

    /** The load generator of the read-only phases; {@code wrkDuration} is how long each wrk run lasts. */
    ReadClient readClient(Duration wrkDuration) {
        return readClientKind == ReadClientKind.WRK ? ReadClient.wrk(new Wrk(Wrk.DEFAULT_EXECUTABLE), wrkDuration)
                : ReadClient.java();
    }

    Workload workload(String repositoryPrefix, int count, int layerCount, int size, long seed) {
        return workload(repositoryPrefix, count, layerCount, size, seed, concurrency);
    }

    Workload workload(String repositoryPrefix, int count, int layerCount, int size, long seed, int clients) {
        return new Workload(IntStream.range(0, count)
                .mapToObj(i -> SyntheticImage.create(i, repositoryPrefix + (i % repositories), layerCount, size, seed))
                .toList(), layerCount, size, clients, seed);
    }

    private ServerProcess berth(Path work, String name) throws IOException {
        return ServerProcess.berth(berthLauncher.toAbsolutePath(), berthJavaOptions, work.resolve(name + "-data"),
                work.resolve(name + ".log"));
    }

    private ServerProcess distribution(Path work, String name) throws IOException {
        return ServerProcess.distribution(distributionBinary, work.resolve(name + "-data"),
                work.resolve(name + ".log"));
    }

    /** Starts the server and returns how long it took to answer its first 200. */
    private static Duration timeStart(ServerProcess server) throws IOException, InterruptedException {
        server.start();
        log("%s: first 200 on /v2/ after %d ms".formatted(server.name(), server.startTime().toMillis()));
        return server.startTime();
    }

    private void probeUploads(Contender contender) throws Exception {
        boolean singlePost = contender.client.probeSinglePostUploads("bench/probe");
        notes.add("%s: monolithic uploads as %s.".formatted(contender.name(), singlePost
                ? "one `POST ?digest=` with the body"
                : "`POST` then `PUT ?digest=` with the body (it answers a single `POST ?digest=` with 202)"));
    }

    /**
     * Untimed warm-up: every phase at a small size, so both servers (and this client's JIT) have handled every
     * kind of request before the measured phases, as they would have in service. Own repositories and content.
     */
    private void warmUp(List<Contender> contenders, long seed) throws Exception {
        Workload warm = workload("bench/warmup-", warmupImages, 2, 64 * 1024, seed + 1);
        ReadClient reads = readClient(Duration.ofSeconds(1));
        List<Phase> phases = List.of(new PushPhase(warm, chunks), new PullPhase(warm),
                new ManifestReadPhase(warm, Duration.ofSeconds(3), readConcurrency, reads),
                new ReferrersPhase(warm, 20, 200, reads),
                new TagsPhase(warm, "bench/warmup-tags", 200, 200, reads),
                new LargeBlobPhase("bench/warmup-large", 64 << 20, 16 << 20, 1, seed + 1, largeClient()));
        for (Contender contender : contenders) {
            log("warm-up: " + contender.name());
            for (Phase phase : phases) {
                for (PhaseResult result : phase.run(contender.client)) {
                    if (result.errors() > 0) {
                        log("warm-up: %s \"%s\": %s".formatted(contender.name(), result.title(), result.notes()));
                    }
                }
            }
        }
    }

    /**
     * Runs each phase against both, alternating who goes first so that neither always meets a disk still busy
     * with the other's writes; {@code sync} before each run flushes what the previous one left dirty.
     */
    private void runAlternating(List<Phase> phases, List<Contender> contenders) throws Exception {
        for (int p = 0; p < phases.size(); p++) {
            List<Contender> order = p % 2 == 0 ? contenders : contenders.reversed();
            for (Contender contender : order) {
                DiskSpeed.sync();
                contender.results.addAll(runPhase(phases.get(p), contender));
            }
        }
    }

    /**
     * Two more Berths on fresh data directories, started together and warmed up the same way: one with a webhook
     * endpoint that takes every event as a CloudEvent, one without. Then rounds of the push phase, each on new images
     * pushed into both, alternating which goes first; after its push, the notifying one's image pushes must all have
     * arrived (at most {@link #EVENTS_LIMIT}) before the round goes on. One push of each against the other would
     * measure the machine's drift between the two more than the endpoint.
     */
    private void measureNotifications(Path work, long seed) {
        String deliveryTitle = "delivery of the rounds' events to the endpoint (lag: arrival minus the CloudEvent's "
                + "`time`)";
        Set<String> repositories = new HashSet<>(); // the predicate runs on this thread only
        Predicate<EventReceiver.Received> imagePushes = event -> EventReceiver.IMAGE_PUSHED.equals(event.type())
                && repositories.contains(event.repository());
        try (EventReceiver receiver = EventReceiver.start(Clock.systemUTC());
             ServerProcess plainServer = berth(work, "berth-plain");
             ServerProcess notifyingServer = ServerProcess.berthNotifying(NOTIFYING, berthLauncher.toAbsolutePath(),
                     berthJavaOptions, work.resolve("berth-events-data"), work.resolve("berth-events.log"),
                     receiver.url(), notificationBatch)) {
            log("%s: events to %s".formatted(NOTIFYING, receiver.url()));
            Contender plain = new Contender(plainServer);
            Contender notifying = new Contender(notifyingServer);
            List<Contender> both = List.of(notifying, plain);
            for (Contender contender : both) {
                timeStart(contender.server);
                contender.client.probeSinglePostUploads("bench/probe");
            }
            if (warmupImages > 0) {
                warmUp(both, seed);
            }
            if (!receiver.awaitQuiet(EVENTS_QUIET, EVENTS_LIMIT.multipliedBy(2))) {
                notificationNotes.add("the warm-up's events were still arriving when the pushes began");
            }
            receiver.reset();
            long expected = 0;
            // The first rounds are not counted: both servers' pushes still get faster as the JIT compiles (the
            // delivery's code too), which the small warm-up does not call often enough.
            for (int round = 1 - UNCOUNTED_ROUNDS; round <= notificationRounds; round++) {
                log("notifications: round %d of %d%s, generating %d images".formatted(round, notificationRounds,
                        round <= 0 ? " (not counted)" : "", images));
                PushPhase push = new PushPhase(workload("bench/events-" + (round + UNCOUNTED_ROUNDS) + "-", images,
                        layers, Math.toIntExact(layerSize), seed + 10 + round), chunks);
                push.workload().images().forEach(image -> repositories.add(image.repository()));
                for (Contender contender : Math.floorMod(round, 2) == 0 ? both : both.reversed()) {
                    DiskSpeed.sync();
                    Duration cpuBefore = contender.server.cpuTime();
                    PhaseResult result = withCpu(runPhase(push, contender).getFirst(),
                            contender.server.cpuTime().minus(cpuBefore), images);
                    if (contender == plain) {
                        if (round > 0) {
                            plainPushes.add(result);
                        }
                        continue;
                    }
                    if (round > 0) {
                        notifyingPushes.add(result);
                    }
                    expected += result.notApplicable() != null ? 0 : images - result.errors();
                    if (!receiver.awaitCount(imagePushes, expected, EVENTS_LIMIT)) {
                        notificationNotes.add("round %d: only %d of the %d image pushes so far had arrived %d s "
                                .formatted(round, receiver.count(imagePushes), expected, EVENTS_LIMIT.toSeconds())
                                + "after its push ended");
                    }
                    if (round <= 0) {
                        receiver.awaitQuiet(Duration.ofMillis(500), Duration.ofSeconds(10));
                        receiver.reset();
                        expected = 0;
                    }
                }
            }
            // The last push's tag events follow its last image push; they are not counted, but their lag is.
            receiver.awaitQuiet(Duration.ofMillis(500), Duration.ofSeconds(10));
            EventReceiver.Summary summary = receiver.summary(imagePushes);
            log(("%s: %d of %d image pushes delivered (%d events); lag p50 %.1f ms, p99 %.1f ms").formatted(NOTIFYING,
                    summary.selected(), expected, summary.events(), summary.lagMillis(50), summary.lagMillis(99)));
            delivery = new PhaseResult(deliveryTitle, List.of(
                    Figure.lowerIsBetter("lag p50 ms", summary.lagMillis(50)),
                    Figure.lowerIsBetter("lag p99 ms", summary.lagMillis(99)),
                    Figure.lowerIsBetter("lag max ms", summary.lagMillis(100)),
                    Figure.count("`io.berth.image.pushed` received", summary.selected()),
                    Figure.count("`io.berth.image.pushed` expected (images pushed)", expected),
                    Figure.count("events received (every type)", summary.events()),
                    Figure.count("duplicates", summary.duplicates()),
                    Figure.count("ids missing between the first and the last", summary.missing())),
                    null, List.of());
            if (summary.outOfOrder() > 0) {
                notificationNotes.add("%d events arrived after one with a higher id".formatted(summary.outOfOrder()));
            }
            if (summary.unreadable() > 0) {
                notificationNotes.add("%d bodies were no CloudEvent with an id and a time"
                        .formatted(summary.unreadable()));
            }
        } catch (Exception e) {
            log("%s: failed: %s".formatted(NOTIFYING, e));
            notificationNotes.add("failed: " + e);
            if (delivery == null) {
                delivery = PhaseResult.notApplicable(deliveryTitle, "failed: " + e);
            }
        }
    }

    /** Runs one phase; a phase that throws gets "failed" results, and the run goes on. */
    static List<PhaseResult> runPhase(Phase phase, Contender contender) {
        String name = phase.getClass().getSimpleName().replace("Phase", "");
        log("%s: %s...".formatted(name, contender.name()));
        long began = System.nanoTime();
        List<PhaseResult> results;
        try {
            results = phase.run(contender.client);
        } catch (Exception e) {
            String reason = "failed: " + e;
            log("%s: %s %s".formatted(name, contender.name(), reason));
            results = phase.titles().stream().map(title -> PhaseResult.notApplicable(title, reason)).toList();
        }
        long errors = results.stream().mapToLong(PhaseResult::errors).sum();
        log("%s: %s done in %.1f s, %d errors".formatted(name, contender.name(),
                (System.nanoTime() - began) / 1e9, errors));
        return results;
    }

    private void collectNotes(Contender contender) {
        for (PhaseResult result : contender.results) {
            if (result.notApplicable() != null) {
                notes.add("%s, \"%s\": %s.".formatted(contender.name(), result.title(), result.notApplicable()));
            }
            for (String note : result.notes()) {
                notes.add("%s, \"%s\": %s".formatted(contender.name(), result.title(), note));
            }
        }
    }

    private String report(Machine machine, long seed, ResultsTable table) {
        StringBuilder out = new StringBuilder();
        out.append("Run of ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
                .append(" on ").append(machine.summary()).append(".\n");
        out.append("Sizes: `").append(String.join(" ", commandLine())).append("` (content seed ").append(seed)
                .append("). MB = 10^6 bytes. Ratio = Berth / Distribution: above 1 is better for throughput, ")
                .append("below 1 for latency, time and memory; within 5 % is called a tie.\n\n");
        out.append(table.toMarkdown());
        if (!notes.isEmpty()) {
            out.append("\nNotes:\n");
            notes.forEach(note -> out.append("- ").append(note).append('\n'));
        }
        if (delivery != null) {
            out.append('\n').append(notificationsReport());
        }
        return out.toString();
    }

    /** {@code result} with the server's CPU time per 100 images pushed added to its figures. */
    private static PhaseResult withCpu(PhaseResult result, Duration cpu, int images) {
        if (result.notApplicable() != null) {
            return result;
        }
        List<Figure> figures = new ArrayList<>(result.figures());
        figures.add(Figure.lowerIsBetter(CPU_METRIC, cpu.toNanos() / 1e9 * 100 / images));
        return new PhaseResult(result.title(), figures, null, result.notes());
    }

    /** The rounds' pushes with and without an endpoint side by side, the delivery's figures, and the targets. */
    private String notificationsReport() {
        StringBuilder out = new StringBuilder();
        out.append("Notifications: two more Berths on fresh data directories, started together and warmed up the ")
                .append("same way, one with a `cloudevents` endpoint (a receiver in the bench's JVM that answers 200 ")
                .append("to every event) and one without; then %d uncounted and %d counted rounds of the push "
                        .formatted(UNCOUNTED_ROUNDS, notifyingPushes.size()))
                .append("phase on new images into both, alternating which goes first. The lag of an event is its ")
                .append("arrival at the receiver minus its `time` (taken inside the push's transaction, stored in ")
                .append("ms), over every event of the counted rounds.\n\n");
        ResultsTable events = new ResultsTable(NOTIFYING, "Berth");
        List<Double> shares = new ArrayList<>();
        List<Double> cpuShares = new ArrayList<>();
        for (int round = 0; round < notifyingPushes.size() && round < plainPushes.size(); round++) {
            PhaseResult notifying = notifyingPushes.get(round);
            events.add(new PhaseResult("round %d: %s".formatted(round + 1, notifying.title()), notifying.figures(),
                    notifying.notApplicable(), notifying.notes()), plainPushes.get(round));
            shares.add(figure(notifying, "images/s") / figure(plainPushes.get(round), "images/s"));
            cpuShares.add(figure(notifying, CPU_METRIC) / figure(plainPushes.get(round), CPU_METRIC));
        }
        events.add(delivery, PhaseResult.notApplicable(delivery.title(), "no endpoint"));
        out.append(events.toMarkdown());
        double share = median(shares);
        double lagP99 = figure(delivery, "lag p99 ms");
        double received = figure(delivery, "`io.berth.image.pushed` received");
        double expected = figure(delivery, "`io.berth.image.pushed` expected (images pushed)");
        out.append(("\nTargets: push with the endpoint ≥ %.0f %% of the push without (median of the rounds' "
                + "images/s ratios, %s): %s. Delivery lag p99 ≤ %.0f s: %s. ").formatted(PUSH_SHARE_TARGET * 100,
                listed(shares),
                Double.isNaN(share) ? "not measured"
                        : "%.1f %%, %s".formatted(share * 100, share >= PUSH_SHARE_TARGET ? "met" : "**not met**"),
                LAG_P99_TARGET_MILLIS / 1000, Double.isNaN(lagP99) ? "not measured"
                        : "%s ms, %s".formatted(ResultsTable.number(lagP99),
                        lagP99 <= LAG_P99_TARGET_MILLIS ? "met" : "**not met**")));
        double cpuShare = median(cpuShares);
        if (!Double.isNaN(cpuShare)) {
            out.append("The server's CPU per image pushed with the endpoint: %.1f %% of that without (median of %s). "
                    .formatted(cpuShare * 100, listed(cpuShares)));
        }
        out.append(Double.isNaN(received) ? "\n"
                : "Image pushes delivered: %.0f of %.0f%s.\n".formatted(received, expected,
                received < expected ? " (**events missing**)" : ""));
        if (!notificationNotes.isEmpty()) {
            out.append("\nNotes:\n");
            notificationNotes.forEach(note -> out.append("- ").append(NOTIFYING).append(": ").append(note)
                    .append('\n'));
        }
        return out.toString();
    }

    /** Ratios as the report lists them: "0.89, 1.13, 0.99". */
    private static String listed(List<Double> ratios) {
        return ratios.stream().map(r -> String.format(Locale.ROOT, "%.2f", r)).collect(Collectors.joining(", "));
    }

    /** The middle value (the mean of the two middle ones for an even count), NaN for none or any NaN. */
    static double median(List<Double> values) {
        if (values.isEmpty() || values.stream().anyMatch(v -> Double.isNaN(v))) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    /** The value of {@code metric} in {@code result}; NaN when it has none. */
    private static double figure(PhaseResult result, String metric) {
        return result == null ? Double.NaN : result.figures().stream().filter(f -> f.metric().equals(metric))
                .mapToDouble(Figure::value).findFirst().orElse(Double.NaN);
    }

    /** The options that set the sizes, as they were in this run. */
    private List<String> commandLine() {
        return List.of("--images", Integer.toString(images), "--layers", Integer.toString(layers),
                "--layer-size", ByteSize.format(layerSize), "--chunks", Integer.toString(chunks),
                "--repositories", Integer.toString(repositories), "--concurrency", Integer.toString(concurrency),
                "--read-seconds", Integer.toString(readSeconds), "--read-concurrency", Integer.toString(readConcurrency),
                "--referrers", Integer.toString(referrers),
                "--referrer-lists", Integer.toString(referrerLists), "--tags", Integer.toString(tags),
                "--tag-pages", Integer.toString(tagPages), "--large-blob", ByteSize.format(largeBlob),
                "--large-chunk", ByteSize.format(largeChunk), "--large-downloads", Integer.toString(largeDownloads),
                "--warmup-images", Integer.toString(warmupImages), "--api-images", Integer.toString(apiImages),
                "--api-repositories", Integer.toString(apiRepositories), "--api-blobs", Integer.toString(apiBlobs),
                "--api-reads", Integer.toString(apiReads),
                notifications ? "--notifications" : "--no-notifications",
                s3 ? "--s3" : "--no-s3", "--s3-images", Integer.toString(s3Images),
                "--notification-rounds", Integer.toString(notificationRounds),
                "--notification-batch", Integer.toString(notificationBatch),
                "--read-client", readClientKind.name().toLowerCase(Locale.ROOT),
                clients ? "--clients" : "--no-clients", "--copy-images", Integer.toString(copyImages),
                "--copy-layers", Integer.toString(copyLayers), "--copy-layer-size", ByteSize.format(copyLayerSize),
                "--pull-rounds", Integer.toString(pullRounds),
                "--large-client", largeClientKind.name().toLowerCase(Locale.ROOT));
    }

    private static double mebibytes(long kib) {
        return kib / 1024.0;
    }

    private static int fail(String message) {
        log(message);
        return 2;
    }

    private static Path freshDirectory(Path dir) throws IOException {
        if (Files.exists(dir)) {
            deleteRecursively(dir);
        }
        return Files.createDirectories(dir);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static void log(String message) {
        System.err.println("[bench] " + message);
    }
}
