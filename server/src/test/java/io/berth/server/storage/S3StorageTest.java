package io.berth.server.storage;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.RegistryClient.withQuery;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import io.berth.s3.S3Proxy;
import io.berth.s3.S3Settings;
import io.berth.server.BerthServer;
import io.berth.server.Config;
import io.berth.server.GcConfig;
import io.berth.server.Main;
import io.berth.server.StorageConfig;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.Backend;
import io.berth.server.testing.LogCapture;
import io.berth.server.testing.S3Store;
import io.berth.server.testing.TestRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/** Pushes and pulls through the HTTP API of a server that stores its blobs in S3 (s3proxy, on loopback). */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class S3StorageTest {
    private static final String OCTETS = "application/octet-stream";
    private static final int MIB = 1024 * 1024;
    private static final String PREFIX = "berth/";

    @RegisterExtension
    static final S3Store s3 = new S3Store();

    @Parameter
    Backend backend;

    @TempDir
    Path configDir;

    private S3Settings settings;
    private String bucket;
    private TestRegistry registry;
    private RegistryClient client;
    private String repository;

    @BeforeEach
    void startRegistry() {
        settings = s3.bucket(PREFIX);
        bucket = settings.bucket();
        // Collection on demand only, with no grace: a blob no manifest references goes at the next collection.
        registry = TestRegistry.start(backend, config -> config.withStorage(new StorageConfig.S3(settings))
                .withGc(new GcConfig(Duration.ZERO, Duration.ZERO, Duration.ZERO, List.of())));
        client = new RegistryClient(registry.url());
        repository = uniqueRepository("s3");
    }

    @AfterEach
    void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    private List<String> keys(String under) {
        return s3.keys(settings, under);
    }

    private HttpResponse<byte[]> patch(String upload, byte[] blob, int from, int to) {
        HttpResponse<byte[]> response = client.patch(upload, Arrays.copyOfRange(blob, from, to),
                "Content-Type", OCTETS, "Content-Range", from + "-" + (to - 1));
        assertThat(response.statusCode()).as(body(response)).isEqualTo(202);
        assertThat(header(response, "Range")).isEqualTo("0-" + (to - 1));
        return response;
    }

    @Test
    void anImagePushedInChunksIsPulledWholeAndInRanges() {
        byte[] layer = TestContent.randomBytes(11 * MIB);
        String upload = client.startUpload(repository);
        upload = RegistryClient.location(patch(upload, layer, 0, MIB));
        upload = RegistryClient.location(patch(upload, layer, MIB, 8 * MIB));
        upload = RegistryClient.location(patch(upload, layer, 8 * MIB, 11 * MIB));
        HttpResponse<byte[]> done = client.put(withQuery(upload, "digest=" + sha256(layer)), new byte[0]);
        assertThat(done.statusCode()).as(body(done)).isEqualTo(201);
        byte[] config = TestContent.imageConfig("amd64");
        client.pushBlob(repository, config);
        byte[] manifest = TestContent.toJson(TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_CONFIG, config),
                List.of(TestContent.descriptor(TestContent.OCI_LAYER, layer))));
        client.pushManifest(repository, "v1", TestContent.OCI_MANIFEST, manifest);

        assertThat(client.get("/v2/" + repository + "/manifests/v1", "Accept", TestContent.OCI_MANIFEST).body())
                .isEqualTo(manifest);
        String blob = "/v2/" + repository + "/blobs/" + sha256(layer);
        HttpResponse<byte[]> whole = client.get(blob);
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(layer);
        HttpResponse<byte[]> range = client.get(blob, "Range", "bytes=" + (8 * MIB - 10) + "-" + (8 * MIB + 9));
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()).isEqualTo(Arrays.copyOfRange(layer, 8 * MIB - 10, 8 * MIB + 10));
        assertThat(header(client.head(blob), "Content-Length")).isEqualTo(Integer.toString(layer.length));

        assertThat(keys("blobs/")).contains(PREFIX + "blobs/sha256/" + sha256(layer).substring("sha256:".length()));
        assertThat(keys("uploads/")).as("no upload left in the bucket").isEmpty();
    }

    @Test
    void aChunkedUploadContinuesAfterARestartThatForgotItsRunningDigest() throws Exception {
        byte[] blob = TestContent.randomBytes(7 * MIB + 5);
        String upload = client.startUpload(repository);
        upload = RegistryClient.location(patch(upload, blob, 0, 6 * MIB));

        registry.restart(); // as another node would, this one hashes the bytes stored so far again

        upload = RegistryClient.location(patch(upload, blob, 6 * MIB, 7 * MIB));
        HttpResponse<byte[]> done = client.put(withQuery(upload, "digest=" + sha256(blob)),
                Arrays.copyOfRange(blob, 7 * MIB, blob.length), "Content-Type", OCTETS);
        assertThat(done.statusCode()).as(body(done)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/blobs/" + sha256(blob)).body()).isEqualTo(blob);
    }

    @Test
    void aChunkedPushWhoseRequestsAlternateBetweenTwoNodesIsPulledWholeFromEither() throws Exception {
        assumeTrue(backend == Backend.POSTGRES, "nodes share PostgreSQL; SQLite serves one process");
        try (BerthServer second = BerthServer.start(registry.config().withListen("127.0.0.1:0"));
             LogCapture uploads = new LogCapture("io.berth.registry.Uploads", Level.DEBUG)) {
            RegistryClient other = new RegistryClient("http://127.0.0.1:" + second.port());
            RegistryClient[] nodes = {client, other};
            byte[] blob = TestContent.randomBytes(13 * MIB + 7);
            int[] cuts = {0, 2 * MIB, 3 * MIB, 9 * MIB, 12 * MIB, blob.length};
            String upload = other.startUpload(repository);
            for (int i = 0; i + 1 < cuts.length; i++) {
                RegistryClient node = nodes[i % 2];
                HttpResponse<byte[]> response = node.patch(upload, Arrays.copyOfRange(blob, cuts[i], cuts[i + 1]),
                        "Content-Type", OCTETS, "Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1));
                assertThat(response.statusCode()).as("PATCH %d: %s", i, body(response)).isEqualTo(202);
                upload = RegistryClient.location(response);
            }
            HttpResponse<byte[]> done = other.put(withQuery(upload, "digest=" + sha256(blob)), new byte[0]);
            assertThat(done.statusCode()).as(body(done)).isEqualTo(201);
            // Each node went on from the hash state the other saved: no bytes came back from S3 to be hashed.
            assertThat(uploads.messages()).noneMatch(message -> message.startsWith("re-reading"));

            for (RegistryClient node : nodes) {
                assertThat(node.get("/v2/" + repository + "/blobs/" + sha256(blob)).body()).isEqualTo(blob);
            }
            assertThat(keys("uploads/")).isEmpty();
        }
    }

    @Test
    void blobDownloadsAreRedirectedToPresignedUrlsWhenAskedFor() throws Exception {
        S3Settings settings = s3.bucket(PREFIX).withRedirect(Duration.ofMinutes(5));
        try (TestRegistry redirecting = TestRegistry.start(backend,
                config -> config.withStorage(new StorageConfig.S3(settings)))) {
            RegistryClient berth = new RegistryClient(redirecting.url());
            byte[] blob = TestContent.randomBytes(100_000);
            String path = "/v2/" + repository + "/blobs/" + berth.pushBlob(repository, blob);
            HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

            HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(berth.uri(path)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());

            assertThat(get.statusCode()).isEqualTo(307);
            assertThat(header(get, "Docker-Content-Digest")).isEqualTo(sha256(blob));
            URI location = URI.create(header(get, "Location"));
            assertThat(location.toString()).startsWith(s3.proxy().endpoint() + "/" + settings.bucket() + "/" + PREFIX
                    + "blobs/sha256/").contains("X-Amz-Signature=");
            assertThat(http.send(HttpRequest.newBuilder(location).build(), HttpResponse.BodyHandlers.ofByteArray())
                    .body()).isEqualTo(blob);
            HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(location).header("Range", "bytes=10-19")
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.body()).isEqualTo(Arrays.copyOfRange(blob, 10, 20));
            HttpResponse<byte[]> head = berth.head(path);
            assertThat(head.statusCode()).as("HEAD answers itself").isEqualTo(200);
            assertThat(header(head, "Content-Length")).isEqualTo("100000");
        }
    }

    @Test
    void aWrongDigestIsRefusedAndLeavesNothingInTheBucket() {
        byte[] blob = TestContent.randomBytes(1000);
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> done = client.put(withQuery(upload, "digest=" + sha256(new byte[] {1})), blob,
                "Content-Type", OCTETS);

        RegistryClient.assertError(done, 400, "DIGEST_INVALID");
        assertThat(keys("")).isEmpty();
    }

    @Test
    void garbageCollectionRemovesAnUnreferencedBlobFromTheBucket() throws Exception {
        byte[] blob = TestContent.randomBytes(2000);
        String digest = client.pushBlob(repository, blob);
        assertThat(keys("blobs/")).hasSize(1);
        Thread.sleep(5); // older than the grace of zero

        HttpResponse<byte[]> report = client.post("/admin/gc", new byte[0]);

        assertThat(report.statusCode()).as(body(report)).isEqualTo(200);
        assertThat(keys("blobs/")).isEmpty();
        assertThat(keys("trash/")).isEmpty();
        client.assertAbsent("/v2/" + repository + "/blobs/" + digest, "BLOB_UNKNOWN");
    }

    @Test
    void theGcCommandOpensTheBucketFromTheConfigurationFile() throws Exception {
        byte[] blob = TestContent.randomBytes(2000);
        String digest = client.pushBlob(repository, blob);
        Thread.sleep(5); // older than the grace of zero
        Path configFile = configDir.resolve("berth.yaml");
        // The command reads the process's environment, which a test cannot set: the secret is in the file.
        Files.writeString(configFile, "storage:\n  type: s3\n  bucket: " + bucket + "\n  prefix: " + PREFIX
                + "\n  endpoint: " + s3.proxy().endpoint() + "\n  pathStyle: true\n  accessKey: " + S3Proxy.ACCESS_KEY
                + "\n  secretKey: " + S3Proxy.SECRET_KEY + "\n"
                + (registry.config().metadataUrl() == null ? "" : "metadata:\n  url: " + registry.config().metadataUrl()
                + "\n")
                + "gc:\n  grace: 0s\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute("gc", "--config", configFile.toString(), "--data", registry.dataDir().toString());

        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).contains("blob      " + digest);
        assertThat(keys("blobs/")).isEmpty();
        client.assertAbsent("/v2/" + repository + "/blobs/" + digest, "BLOB_UNKNOWN");
    }

    @Test
    void anObjectStoreOutageIsAnswered503AndPushesSucceedAgainWhenItIsBack() throws Exception {
        try (S3Proxy own = S3Proxy.start()) {
            S3Settings settings = own.bucket("outage", null);
            try (TestRegistry onOwn = TestRegistry.start(backend,
                    config -> config.withStorage(new StorageConfig.S3(settings)))) {
                RegistryClient berth = new RegistryClient(onOwn.url());
                byte[] before = TestContent.randomBytes(3000);
                String stored = berth.pushBlob(repository, before);

                own.pause();
                byte[] during = TestContent.randomBytes(3000);
                HttpResponse<byte[]> push = berth.post("/v2/" + repository + "/blobs/uploads/?digest="
                        + sha256(during), during, "Content-Type", OCTETS);
                HttpResponse<byte[]> session = berth.post("/v2/" + repository + "/blobs/uploads/", new byte[0]);
                HttpResponse<byte[]> pull = berth.get("/v2/" + repository + "/blobs/" + stored);
                HttpResponse<byte[]> ready = berth.get("/readyz");
                own.resume();

                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(body(ready)).contains("[+]database ok", "[-]storage ");
                assertThat(new String(berth.get("/metrics").body(), StandardCharsets.UTF_8))
                        .containsPattern("(?m)^berth_storage_errors_total\\{kind=\"unavailable\"} 3\\.0$");

                RegistryClient.assertError(push, 503, "UNKNOWN");
                assertThat(header(push, "Retry-After")).isEqualTo("5");
                RegistryClient.assertError(session, 503, "UNKNOWN");
                RegistryClient.assertError(pull, 503, "UNKNOWN");
                berth.pushBlob(repository, during);
                assertThat(berth.get("/v2/" + repository + "/blobs/" + stored).body()).isEqualTo(before);
                Thread.sleep(1100); // past the time a readiness result is reused
                assertThat(berth.get("/readyz").statusCode()).isEqualTo(200);
            }
        }
    }

    @Test
    void aBucketThatDoesNotExistEndsStartupWithAMessage() throws Exception {
        Config config = Config.DEFAULTS.withListen("127.0.0.1:0").withData(Files.createTempDirectory("berth-s3-"))
                .withStorage(new StorageConfig.S3(new S3Settings("no-such-bucket", null, null, s3.proxy().endpoint(),
                        true, S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY, null, null)));

        assertThatThrownBy(() -> BerthServer.start(config).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("storage: cannot use bucket s3://no-such-bucket/ at " + s3.proxy().endpoint()
                        + ": the bucket does not exist");
    }

    @Test
    void wrongCredentialsEndStartupWithAMessage() throws Exception {
        Config config = Config.DEFAULTS.withListen("127.0.0.1:0").withData(Files.createTempDirectory("berth-s3-"))
                .withStorage(new StorageConfig.S3(new S3Settings(bucket, null, null, s3.proxy().endpoint(), true,
                        S3Proxy.ACCESS_KEY, "not-the-secret", null, null)));

        assertThatThrownBy(() -> BerthServer.start(config).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("storage: cannot use bucket s3://" + bucket + "/ at " + s3.proxy().endpoint()
                        + ": access denied");
    }
}
