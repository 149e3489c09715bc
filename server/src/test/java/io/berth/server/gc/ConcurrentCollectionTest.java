package io.berth.server.gc;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.location;
import static io.berth.server.protocol.RegistryClient.withQuery;
import static io.berth.server.protocol.TestContent.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.BerthServer;
import io.berth.server.GcConfig;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.Backend;
import io.berth.server.testing.RepositorySummaries;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * For a while, several clients push images that share layers (uploading or mounting them), attach referrers, push
 * indexes, and delete tags and manifests, while collections run back to back with no grace, no referrers delay and
 * untagged manifests collected at once. Pushes may fail, but only cleanly (MANIFEST_BLOB_UNKNOWN); afterwards every
 * image still tagged pulls intact, with its referrers and index children, and the database holds no manifest or link
 * whose blob is gone and no blob row without its bytes. With PostgreSQL also with two servers sharing the database
 * and storage, each collecting, which must take turns.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(ConcurrentCollectionTest.Setup.class)
class ConcurrentCollectionTest {
    /** How long the clients and collectors run: {@code -Dberth.test.gcStressSeconds=60} for a longer soak. */
    private static final Duration RUN = Duration.ofSeconds(Integer.getInteger("berth.test.gcStressSeconds", 7));
    private static final int PUSHERS = 3;
    private static final int ATTEMPTS = 20;
    private static final List<String> REPOSITORIES = List.of("stress/a", "stress/b", "stress/c");
    private static final GcConfig EAGER = new GcConfig(Duration.ZERO, Duration.ZERO, Duration.ZERO,
            List.of(new GcConfig.UntaggedRule(List.of("stress/**"), Duration.ZERO)));

    enum Setup {
        SQLITE(Backend.SQLITE, 1), POSTGRES(Backend.POSTGRES, 1), POSTGRES_TWO_SERVERS(Backend.POSTGRES, 2);

        final Backend backend;
        final int servers;

        Setup(Backend backend, int servers) {
            this.backend = backend;
            this.servers = servers;
        }
    }

    @Parameter
    Setup setup;

    /** A tagged image as pushed, with the referrers attached to it; an index also has its children. */
    private record Tagged(String repository, String tag, Images.Image image, List<Images.Image> children,
                          List<Images.Image> referrers) {
    }

    /** One collection's span, on one server. */
    private record Span(int server, Instant start, Instant end) {
    }

    private final List<byte[]> sharedLayers = new ArrayList<>();
    private final List<Tagged> live = new CopyOnWriteArrayList<>();
    private final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
    private final Queue<Span> spans = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pushed = new AtomicInteger();
    private final AtomicInteger refusedPushes = new AtomicInteger();
    private final AtomicInteger blobsCollected = new AtomicInteger();
    private final AtomicInteger tags = new AtomicInteger();

    @Test
    void pushesDeletesAndCollectionsInterleaveAndEveryTaggedImageStaysIntact() throws Exception {
        for (int i = 0; i < 6; i++) {
            sharedLayers.add(TestContent.randomBytes(2048 + i * 512));
        }
        try (TestRegistry registry = TestRegistry.start(setup.backend, config -> config.withGc(EAGER))) {
            List<BerthServer> siblings = new ArrayList<>();
            List<RegistryClient> clients = new ArrayList<>(List.of(new RegistryClient(registry.url())));
            try {
                for (int i = 1; i < setup.servers; i++) {
                    BerthServer sibling = BerthServer.start(registry.config().withListen("127.0.0.1:0"));
                    siblings.add(sibling);
                    clients.add(new RegistryClient("http://127.0.0.1:" + sibling.port()));
                }
                run(clients);
            } finally {
                siblings.forEach(BerthServer::close);
            }

            assertThat(unexpected).as("answers other than success or a clean refusal").isEmpty();
            RepositorySummaries.assertExact(registry.config().effectiveMetadataUrl());
            assertThat(pushed.get()).as("manifests pushed").isGreaterThan(20);
            assertThat(refusedPushes.get()).as("pushes whose blobs were collected first").isPositive();
            assertThat(blobsCollected.get()).as("blobs collected while pushing").isPositive();
            if (setup.servers > 1) {
                assertCollectionsTookTurns();
            }
            Thread.sleep(1500); // cached tags and manifests of the other server expire
            RegistryClient client = clients.getFirst();
            for (Tagged tagged : live) {
                assertPullsIntact(client, tagged);
            }
            assertConsistent(registry);
        }
    }

    private void run(List<RegistryClient> clients) throws Exception {
        long deadline = System.nanoTime() + RUN.toNanos();
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < PUSHERS; i++) {
                work.add(threads.submit(() -> push(clients, deadline)));
            }
            work.add(threads.submit(() -> delete(clients, deadline)));
            for (int server = 0; server < clients.size(); server++) {
                int id = server;
                work.add(threads.submit(() -> collect(id, clients.get(id), deadline)));
            }
            for (Future<?> future : work) {
                future.get(RUN.toSeconds() + 60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    // ---- the clients

    private void push(List<RegistryClient> clients, long deadline) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (System.nanoTime() < deadline) {
            RegistryClient client = clients.get(random.nextInt(clients.size()));
            String repository = REPOSITORIES.get(random.nextInt(REPOSITORIES.size()));
            int kind = random.nextInt(10);
            if (kind < 2 && !live.isEmpty()) {
                attachReferrer(client, live.get(random.nextInt(live.size())));
            } else if (kind < 4) {
                pushIndex(client, repository);
            } else {
                String tag = "t" + tags.incrementAndGet();
                Images.Image image = retry(() -> pushImage(client, repository, tag));
                if (image != null) {
                    live.add(new Tagged(repository, tag, image, List.of(), new CopyOnWriteArrayList<>()));
                }
            }
        }
    }

    /** Config, two shared layers (uploaded again, or mounted from another repository) and one of its own. */
    private Images.Image pushImage(RegistryClient client, String repository, String reference) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<byte[]> blobs = new ArrayList<>(List.of(TestContent.imageConfig("amd64")));
        blobs.add(sharedLayers.get(random.nextInt(sharedLayers.size())));
        blobs.add(sharedLayers.get(random.nextInt(sharedLayers.size())));
        blobs.add(TestContent.randomBytes(700));
        for (int i = 0; i < blobs.size(); i++) {
            if (i > 0 && i < 3 && random.nextBoolean()) {
                mountOrUpload(client, repository, blobs.get(i));
            } else {
                upload(client, repository, blobs.get(i));
            }
        }
        List<Map<String, Object>> layers = blobs.subList(1, blobs.size()).stream()
                .map(layer -> TestContent.descriptor(TestContent.OCI_LAYER, layer)).toList();
        byte[] manifest = TestContent.toJson(TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_CONFIG, blobs.getFirst()), layers));
        if (!putManifest(client, repository, reference, TestContent.OCI_MANIFEST, manifest)) {
            return null;
        }
        return new Images.Image(repository, sha256(manifest), manifest, List.copyOf(blobs));
    }

    private void pushIndex(RegistryClient client, String repository) {
        String tag = "i" + tags.incrementAndGet();
        List<Images.Image> children = new ArrayList<>();
        Images.Image index = retry(() -> {
            children.clear();
            for (int i = 0; i < 2; i++) {
                Images.Image child = pushImage(client, repository, null);
                if (child == null) {
                    return null;
                }
                children.add(child);
            }
            byte[] manifest = TestContent.toJson(TestContent.index(TestContent.OCI_INDEX,
                    children.stream().map(Images.Image::descriptor).toList()));
            if (!putManifest(client, repository, tag, TestContent.OCI_INDEX, manifest)) {
                return null;
            }
            return new Images.Image(repository, sha256(manifest), manifest, List.of());
        });
        if (index != null) {
            live.add(new Tagged(repository, tag, index, List.copyOf(children), new CopyOnWriteArrayList<>()));
        }
    }

    private void attachReferrer(RegistryClient client, Tagged subject) {
        Images.Image referrer = retry(() -> {
            byte[] signature = TestContent.randomBytes(200);
            upload(client, subject.repository(), TestContent.EMPTY_JSON);
            upload(client, subject.repository(), signature);
            Map<String, Object> document = TestContent.ociManifest(
                    TestContent.descriptor(TestContent.OCI_EMPTY, TestContent.EMPTY_JSON),
                    List.of(TestContent.descriptor("application/vnd.example.signature", signature)));
            document.put("artifactType", "application/vnd.example.signature");
            document.put("subject", TestContent.descriptor(
                    subject.children().isEmpty() ? TestContent.OCI_MANIFEST : TestContent.OCI_INDEX,
                    subject.image().manifest()));
            byte[] manifest = TestContent.toJson(document);
            if (!putManifest(client, subject.repository(), sha256(manifest), TestContent.OCI_MANIFEST, manifest)) {
                return null;
            }
            return new Images.Image(subject.repository(), sha256(manifest), manifest,
                    List.of(TestContent.EMPTY_JSON, signature));
        });
        if (referrer != null) {
            subject.referrers().add(referrer);
        }
    }

    private void upload(RegistryClient client, String repository, byte[] blob) {
        HttpResponse<byte[]> response = client.put(withQuery(startSession(client, repository), "digest=" + sha256(blob)),
                blob, "Content-Type", "application/octet-stream");
        expect(response, "PUT blob", 201);
    }

    private void mountOrUpload(RegistryClient client, String repository, byte[] blob) {
        String from = REPOSITORIES.get(ThreadLocalRandom.current().nextInt(REPOSITORIES.size()));
        HttpResponse<byte[]> response = client.post("/v2/" + repository + "/blobs/uploads/?mount=" + sha256(blob)
                + "&from=" + from, new byte[0]);
        if (response.statusCode() == 201) {
            return;
        }
        expect(response, "POST mount", 202);
        response = client.put(withQuery(location(response), "digest=" + sha256(blob)), blob,
                "Content-Type", "application/octet-stream");
        expect(response, "PUT blob after a refused mount", 201);
    }

    private String startSession(RegistryClient client, String repository) {
        HttpResponse<byte[]> response = client.post("/v2/" + repository + "/blobs/uploads/", new byte[0]);
        expect(response, "POST upload", 202);
        return location(response);
    }

    /** Whether the manifest was stored; a refusal for a blob collected meanwhile is a clean failure. */
    private boolean putManifest(RegistryClient client, String repository, String reference, String mediaType,
                                byte[] manifest) {
        HttpResponse<byte[]> response = client.putManifest(repository, reference, mediaType, manifest);
        if (response.statusCode() == 201) {
            pushed.incrementAndGet();
            return true;
        }
        if (response.statusCode() == 400 && body(response).contains("MANIFEST_BLOB_UNKNOWN")) {
            refusedPushes.incrementAndGet();
            return false;
        }
        unexpected.add("PUT manifest " + repository + ":" + reference + ": " + body(response));
        return false;
    }

    /** Deletes tagged images, now by tag (the manifest becomes untagged) and now by digest. */
    private void delete(List<RegistryClient> clients, long deadline) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (System.nanoTime() < deadline) {
            sleep(15);
            if (live.size() < 8) {
                continue;
            }
            Tagged victim = live.remove(random.nextInt(live.size()));
            RegistryClient client = clients.get(random.nextInt(clients.size()));
            String reference = random.nextBoolean() ? victim.tag() : victim.image().digest();
            expect(client.delete("/v2/" + victim.repository() + "/manifests/" + reference), "DELETE manifest", 202);
        }
    }

    /**
     * Collections one after another, with short random pauses: back to back, with no grace, they would take the
     * blobs of nearly every push before its manifest arrived.
     */
    private void collect(int server, RegistryClient client, long deadline) {
        while (System.nanoTime() < deadline) {
            sleep(ThreadLocalRandom.current().nextInt(80));
            HttpResponse<byte[]> response = client.post("/admin/gc", new byte[0]);
            if (response.statusCode() == 429) {
                continue; // the other server is collecting
            }
            if (!expect(response, "POST /admin/gc", 200)) {
                sleep(50);
                continue;
            }
            JsonNode report = RegistryClient.json(response);
            Instant start = Instant.parse(report.path("startedAt").asString());
            spans.add(new Span(server, start, start.plusMillis(report.path("tookMillis").asLong())));
            blobsCollected.addAndGet(report.path("collected").path("blobs").path("count").asInt());
        }
    }

    private interface Attempt {
        Images.Image run();
    }

    /** A push refused because a collection took one of its blobs is tried again from the start, a few times. */
    private static Images.Image retry(Attempt attempt) {
        for (int i = 0; i < ATTEMPTS; i++) {
            Images.Image image = attempt.run();
            if (image != null) {
                return image;
            }
        }
        return null;
    }

    private boolean expect(HttpResponse<byte[]> response, String what, int status) {
        if (response.statusCode() == status) {
            return true;
        }
        unexpected.add(what + ": " + body(response));
        return false;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the checks

    private void assertCollectionsTookTurns() {
        List<Span> sorted = new ArrayList<>(spans);
        sorted.sort((a, b) -> a.start().compareTo(b.start()));
        assertThat(sorted).extracting(Span::server).as("collections on each server").contains(0, 1);
        for (int i = 1; i < sorted.size(); i++) {
            assertThat(sorted.get(i).start()).as("collection %s starts after %s ends", sorted.get(i),
                    sorted.get(i - 1)).isAfterOrEqualTo(sorted.get(i - 1).end());
        }
    }

    private static void assertPullsIntact(RegistryClient client, Tagged tagged) {
        HttpResponse<byte[]> byTag = client.get("/v2/" + tagged.repository() + "/manifests/" + tagged.tag(),
                "Accept", TestContent.OCI_MANIFEST + ", " + TestContent.OCI_INDEX);
        assertThat(byTag.statusCode()).as("GET %s:%s: %s", tagged.repository(), tagged.tag(), body(byTag))
                .isEqualTo(200);
        assertThat(sha256(byTag.body())).isEqualTo(tagged.image().digest());
        Images.assertIntact(client, tagged.image());
        for (Images.Image child : tagged.children()) {
            Images.assertIntact(client, child);
        }
        for (Images.Image referrer : tagged.referrers()) {
            Images.assertIntact(client, referrer);
        }
    }

    /**
     * No manifest references a blob its repository cannot serve, no link outlives its blob, no blob row outlives its
     * bytes, no index child is missing, and nothing is left hidden.
     */
    private static void assertConsistent(TestRegistry registry) throws Exception {
        try (Connection connection = DriverManager.getConnection(registry.config().effectiveMetadataUrl());
             Statement statement = connection.createStatement()) {
            assertThat(strings(statement, "SELECT m.digest || ' -> ' || mr.digest FROM manifest_references mr "
                    + "JOIN manifests m ON m.id = mr.manifest_id WHERE mr.kind IN ('config', 'layer') AND NOT EXISTS "
                    + "(SELECT 1 FROM repository_blobs rb WHERE rb.repository_id = m.repository_id "
                    + "AND rb.digest = mr.digest)")).as("references without a link").isEmpty();
            assertThat(strings(statement, "SELECT m.digest || ' -> ' || mr.digest FROM manifest_references mr "
                    + "JOIN manifests m ON m.id = mr.manifest_id WHERE mr.kind = 'child' AND NOT EXISTS "
                    + "(SELECT 1 FROM manifests c WHERE c.repository_id = m.repository_id AND c.digest = mr.digest)"))
                    .as("index children missing").isEmpty();
            assertThat(strings(statement, "SELECT rb.digest FROM repository_blobs rb WHERE NOT EXISTS "
                    + "(SELECT 1 FROM blobs b WHERE b.digest = rb.digest)")).as("links without a blob").isEmpty();
            List<String> withoutBytes = new ArrayList<>();
            for (String digest : strings(statement, "SELECT digest FROM blobs")) {
                if (!Files.exists(Images.blobFile(registry.dataDir(), digest))) {
                    withoutBytes.add(digest);
                }
            }
            assertThat(withoutBytes).as("blob rows without their bytes").isEmpty();
        }
        try (var hidden = Files.list(registry.dataDir().resolve("trash"))) {
            assertThat(hidden).as("bytes left hidden").isEmpty();
        }
    }

    private static List<String> strings(Statement statement, String sql) throws Exception {
        List<String> result = new ArrayList<>();
        try (ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                result.add(rs.getString(1));
            }
        }
        return Collections.unmodifiableList(result);
    }
}
