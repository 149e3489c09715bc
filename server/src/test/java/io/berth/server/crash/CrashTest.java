package io.berth.server.crash;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.location;
import static io.berth.server.protocol.RegistryClient.withQuery;
import static io.berth.server.protocol.TestContent.OCI_CONFIG;
import static io.berth.server.protocol.TestContent.OCI_LAYER;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.descriptor;
import static io.berth.server.protocol.TestContent.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.Backend;
import io.berth.server.testing.ChildServer;
import io.berth.server.testing.RepositorySummaries;
import io.berth.server.testing.TestDatabase;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Nothing acknowledged is ever lost, and no blob is ever served with bytes that do not match its digest: several
 * threads push images (monolithic and chunked uploads, tagged manifests) to a registry process that is killed with
 * SIGKILL at a random moment, then started again on the same data. Three rounds, each verifying everything that was
 * acknowledged in any round before.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class CrashTest {
    private static final int ROUNDS = 3;
    private static final int PUSHERS = 4;

    @Parameter
    Backend backend;

    @TempDir
    Path work;

    /** A blob or manifest some push tried to store. */
    record Attempt(String repository, String digest) {}

    record Blob(String digest, int size) {}

    /** An image whose manifest PUT was answered 201. */
    record Image(String repository, String tag, byte[] manifest, List<Blob> blobs) {}

    /** What the pushers tried and what the registry acknowledged, over all rounds. */
    static final class Ledger {
        final Queue<Image> acknowledged = new ConcurrentLinkedQueue<>();
        final Set<Attempt> blobs = ConcurrentHashMap.newKeySet();
        final Set<Attempt> manifests = ConcurrentHashMap.newKeySet();
    }

    @Test
    void everyAcknowledgedPushSurvivesSigkillAndNoBlobIsServedWithWrongBytes() throws Exception {
        long seed = Long.getLong("berth.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        Path data = Files.createDirectories(work.resolve("data"));
        Path log = work.resolve("server.log");
        Map<String, String> environment = new HashMap<>();
        TestDatabase database = backend == Backend.POSTGRES ? TestDatabase.create() : null;
        if (database != null) {
            environment.put("BERTH_METADATA_URL", database.url());
        }
        Ledger ledger = new Ledger();
        try {
            for (int round = 1; round <= ROUNDS; round++) {
                ChildServer server = ChildServer.start(data, environment, log);
                try (HttpClient http = RegistryClient.newHttpClient()) {
                    RegistryClient client = new RegistryClient(server.url(), http);
                    verify(client, ledger, "seed " + seed + ", restart before round " + round);
                    pushUntilKilled(server, client, ledger, round, new Random(random.nextLong()), seed);
                } finally {
                    server.kill();
                }
            }
            ChildServer server = ChildServer.start(data, environment, log);
            try (HttpClient http = RegistryClient.newHttpClient()) {
                verify(new RegistryClient(server.url(), http), ledger, "seed " + seed + ", restart after the last kill");
            } finally {
                server.close();
            }
            assertThat(ledger.acknowledged).as("acknowledged pushes over %d rounds (seed %d)", ROUNDS, seed).isNotEmpty();
            // The repositories' kept summaries change in the transactions of the writes, so no kill leaves them off.
            RepositorySummaries.assertExact(database != null ? database.url()
                    : "jdbc:sqlite:" + data.resolve("metadata.db").toAbsolutePath());
        } finally {
            if (database != null) {
                database.close();
            }
        }
    }

    /** Runs the pushers, kills the server at a random moment, and fails on any push error that came before the kill. */
    private static void pushUntilKilled(ChildServer server, RegistryClient client, Ledger ledger, int round,
            Random random, long seed) throws InterruptedException {
        AtomicBoolean killed = new AtomicBoolean();
        List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pushers = Executors.newFixedThreadPool(PUSHERS);
        for (int pusher = 0; pusher < PUSHERS; pusher++) {
            Random own = new Random(random.nextLong());
            String name = "pusher-" + pusher;
            pushers.submit(() -> {
                for (int image = 0; !killed.get(); image++) {
                    String repository = image % 3 == 2 ? "crash/shared" : "crash/" + name;
                    try {
                        pushImage(client, ledger, repository, "r" + round + "-" + name + "-" + image, own);
                    } catch (Throwable e) {
                        if (!killed.get()) {
                            unexpected.add(name + " before the kill: " + e);
                        }
                        return;
                    }
                }
            });
        }
        int acknowledgedBefore = ledger.acknowledged.size();
        long runFor = 300 + random.nextInt(2500);
        Thread.sleep(runFor);
        killed.set(true);
        server.kill();
        pushers.shutdown();
        assertThat(pushers.awaitTermination(2, TimeUnit.MINUTES)).as("pushers stopped").isTrue();
        System.out.printf("crash round %d (seed %d): SIGKILL after %d ms; %d images acknowledged in this round, %d blobs attempted so far%n",
                round, seed, runFor, ledger.acknowledged.size() - acknowledgedBefore, ledger.blobs.size());
        assertThat(unexpected).as("push failures while the server was up (round %d, seed %d)", round, seed).isEmpty();
    }

    private static void pushImage(RegistryClient client, Ledger ledger, String repository, String tag, Random random) {
        List<Blob> blobs = new ArrayList<>();
        List<Map<String, Object>> layers = new ArrayList<>();
        int layerCount = 1 + random.nextInt(3);
        for (int i = 0; i < layerCount; i++) {
            byte[] layer = TestContent.randomBytes(random, layerSize(random));
            pushBlob(client, ledger, repository, layer, random);
            blobs.add(new Blob(sha256(layer), layer.length));
            layers.add(descriptor(OCI_LAYER, layer));
        }
        byte[] config = TestContent.imageConfig("amd64");
        pushBlob(client, ledger, repository, config, random);
        blobs.add(new Blob(sha256(config), config.length));
        Map<String, Object> document = TestContent.ociManifest(descriptor(OCI_CONFIG, config), layers);
        document.put("annotations", new LinkedHashMap<>(Map.of("org.example.tag", tag)));
        byte[] manifest = TestContent.toJson(document);
        ledger.manifests.add(new Attempt(repository, sha256(manifest)));

        HttpResponse<byte[]> response = client.putManifest(repository, tag, OCI_MANIFEST, manifest);

        expect(response, 201, "PUT manifest " + repository + ":" + tag);
        ledger.acknowledged.add(new Image(repository, tag, manifest, List.copyOf(blobs)));
    }

    /** Mostly small blobs, some of a few hundred KiB, a few of megabytes (so that kills land mid-transfer). */
    private static int layerSize(Random random) {
        return switch (random.nextInt(10)) {
            case 0 -> 0;
            case 1, 2, 3, 4 -> random.nextInt(8 * 1024);
            case 5, 6, 7, 8 -> random.nextInt(512 * 1024);
            default -> 1024 * 1024 + random.nextInt(2 * 1024 * 1024);
        };
    }

    /** Pushes one blob in one of four ways: single POST, POST then PUT, PATCH chunks then PUT, chunks with a final PUT. */
    private static void pushBlob(RegistryClient client, Ledger ledger, String repository, byte[] blob, Random random) {
        String digest = sha256(blob);
        ledger.blobs.add(new Attempt(repository, digest));
        String uploads = "/v2/" + repository + "/blobs/uploads/";
        switch (random.nextInt(4)) {
            case 0 -> expect(client.post(uploads + "?digest=" + digest, blob, "Content-Type", "application/octet-stream"),
                    201, "single POST of " + digest);
            case 1 -> {
                String upload = session(client, uploads);
                expect(client.put(withQuery(upload, "digest=" + digest), blob, "Content-Type", "application/octet-stream"),
                        201, "PUT of " + digest);
            }
            default -> {
                boolean finalChunkOnPut = random.nextBoolean();
                String upload = session(client, uploads);
                int chunk = 16 * 1024 + random.nextInt(256 * 1024);
                int offset = 0;
                while (blob.length - offset > (finalChunkOnPut ? chunk : 0)) {
                    int end = Math.min(blob.length, offset + chunk);
                    expect(client.patch(upload, Arrays.copyOfRange(blob, offset, end), "Content-Type", "application/octet-stream",
                            "Content-Range", offset + "-" + (end - 1)), 202, "PATCH of " + digest);
                    offset = end;
                }
                byte[] rest = Arrays.copyOfRange(blob, offset, blob.length);
                HttpResponse<byte[]> done = rest.length == 0
                        ? client.put(withQuery(upload, "digest=" + digest), rest)
                        : client.put(withQuery(upload, "digest=" + digest), rest, "Content-Type", "application/octet-stream",
                                "Content-Range", offset + "-" + (blob.length - 1));
                expect(done, 201, "closing PUT of " + digest);
            }
        }
    }

    private static String session(RegistryClient client, String uploads) {
        HttpResponse<byte[]> response = client.post(uploads, new byte[0]);
        expect(response, 202, "POST " + uploads);
        return location(response);
    }

    private static void expect(HttpResponse<byte[]> response, int status, String what) {
        if (response.statusCode() != status) {
            throw new AssertionError(what + ": expected " + status + ", got " + body(response));
        }
    }

    /**
     * Every acknowledged image pulls intact by tag and by digest, with every blob hashing to its digest; every blob
     * or manifest any push attempted is either absent (404) or served with bytes that hash to its digest.
     */
    private static void verify(RegistryClient client, Ledger ledger, String when) {
        List<String> problems = new ArrayList<>();
        int blobsChecked = 0;
        for (Image image : ledger.acknowledged) {
            String manifests = "/v2/" + image.repository() + "/manifests/";
            for (String reference : List.of(image.tag(), sha256(image.manifest()))) {
                HttpResponse<byte[]> pulled = client.get(manifests + reference);
                if (pulled.statusCode() != 200 || !Arrays.equals(pulled.body(), image.manifest())) {
                    problems.add("acknowledged manifest " + image.repository() + "@" + reference + ": " + body(pulled));
                }
            }
            for (Blob blob : image.blobs()) {
                HttpResponse<byte[]> pulled = client.get("/v2/" + image.repository() + "/blobs/" + blob.digest());
                blobsChecked++;
                if (pulled.statusCode() != 200) {
                    problems.add("blob " + blob.digest() + " of acknowledged " + image.repository() + ":" + image.tag()
                            + ": " + pulled.statusCode());
                } else if (pulled.body().length != blob.size() || !sha256(pulled.body()).equals(blob.digest())) {
                    problems.add("blob " + blob.digest() + " of acknowledged " + image.repository() + ":" + image.tag()
                            + " served " + pulled.body().length + " bytes hashing to " + sha256(pulled.body()));
                }
            }
        }
        for (Attempt attempt : ledger.blobs) {
            HttpResponse<byte[]> pulled = client.get("/v2/" + attempt.repository() + "/blobs/" + attempt.digest());
            blobsChecked++;
            checkAttempt(attempt, "blob", pulled, problems);
        }
        for (Attempt attempt : ledger.manifests) {
            HttpResponse<byte[]> pulled = client.get("/v2/" + attempt.repository() + "/manifests/" + attempt.digest());
            checkAttempt(attempt, "manifest", pulled, problems);
        }
        assertThat(problems).as("%s: %d acknowledged images, %d blob reads", when, ledger.acknowledged.size(), blobsChecked)
                .isEmpty();
    }

    private static void checkAttempt(Attempt attempt, String kind, HttpResponse<byte[]> pulled, List<String> problems) {
        if (pulled.statusCode() == 200) {
            if (!sha256(pulled.body()).equals(attempt.digest())) {
                problems.add(kind + " " + attempt.repository() + "@" + attempt.digest() + " served bytes hashing to "
                        + sha256(pulled.body()));
            }
        } else if (pulled.statusCode() != 404) {
            problems.add(kind + " " + attempt.repository() + "@" + attempt.digest() + ": " + body(pulled));
        }
    }
}
