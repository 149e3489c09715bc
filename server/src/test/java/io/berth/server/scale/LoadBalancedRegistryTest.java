package io.berth.server.scale;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.RegistryClient.withQuery;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.testing.AuthFixture.basic;
import static io.berth.server.testing.AuthFixture.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.s3.S3Settings;
import io.berth.server.BerthServer;
import io.berth.server.Config;
import io.berth.server.Main;
import io.berth.server.StorageConfig;
import io.berth.server.clients.OciLayout;
import io.berth.server.clients.OciLayout.Descriptor;
import io.berth.server.clients.OciLayout.Flavour;
import io.berth.server.clients.Skopeo;
import io.berth.server.clients.Tarballs;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.LoadBalancer;
import io.berth.server.testing.S3Store;
import io.berth.server.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/**
 * Two nodes on one PostgreSQL database and one S3 bucket, with token authentication, behind HAProxy and behind nginx
 * running the configurations of docs/deploy: requests spread round robin over the nodes, and a push and pull works
 * whichever node each request reaches, with tokens, upload sessions and robots shared through the database.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(LoadBalancer.Kind.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoadBalancedRegistryTest {
    private static final Pattern ROBOT_TOKEN = Pattern.compile("Token: +(\\S+)");
    private static final int MIB = 1024 * 1024;

    @RegisterExtension
    static final S3Store s3 = new S3Store();

    @Parameter
    LoadBalancer.Kind kind;

    private Path dir;
    private TestDatabase database;
    private S3Settings bucket;
    private Path signingKey;
    private final List<BerthServer> nodes = new ArrayList<>();
    private LoadBalancer balancer;
    private RegistryClient viaBalancer;

    @BeforeParameterizedClassInvocation
    void startNodesBehindTheBalancer() throws Exception {
        dir = Files.createTempDirectory("berth-lb-");
        database = TestDatabase.create();
        bucket = s3.bucket("berth/");
        signingKey = AuthFixture.signingKey(dir.resolve("token-key.pem"));
        for (int i = 1; i <= 2; i++) {
            nodes.add(BerthServer.start(nodeConfig(dir.resolve("node" + i))));
        }
        balancer = LoadBalancer.start(kind, nodes.stream().map(node -> "127.0.0.1:" + node.port()).toList(),
                dir.resolve(kind.name().toLowerCase()));
        viaBalancer = new RegistryClient(balancer.url(), RegistryClient.newHttpClient());
    }

    private Config nodeConfig(Path data) {
        return Config.DEFAULTS.withListen("127.0.0.1:0").withData(data).withMetadata(database.url(), null, null)
                .withStorage(new StorageConfig.S3(bucket))
                .withAuth(AuthFixture.auth().withTrustedProxies(List.of("127.0.0.1"))
                        .withSigningKeys(signingKey, List.of()));
    }

    @AfterParameterizedClassInvocation
    void stopEverything() {
        if (balancer != null) {
            balancer.close();
        }
        nodes.forEach(BerthServer::close);
        nodes.clear();
        if (database != null) {
            database.close();
        }
        if (dir != null) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private String node(int index) {
        return "127.0.0.1:" + nodes.get(index).port();
    }

    @Test
    void theChallengeNamesTheTokenEndpointAtTheAddressTheClientUsed() {
        HttpResponse<byte[]> refused = viaBalancer.get("/v2/team/app/tags/list");

        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(AuthFixture.challenge(refused)).containsEntry("realm", balancer.url() + "/token");
    }

    @Test
    void skopeoPushesAndPullsAnImageWhoseRequestsReachBothNodes(@TempDir Path tmp) {
        ExternalTools.require("skopeo");
        OciLayout source = OciLayout.create(tmp.resolve("source"));
        Descriptor manifest = source.putImage(Flavour.OCI, "linux", "amd64",
                Tarballs.randomFiles("app", 200_000, 30_000));
        source.tag(Map.of("v1", manifest));
        String repository = "team/lb-" + kind.name().toLowerCase();

        Skopeo.command("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", "alice:"
                + AuthFixture.password("alice"), "oci:" + source.dir() + ":v1",
                "docker://" + balancer.hostPort() + "/" + repository + ":v1").run();
        Path back = tmp.resolve("back");
        Skopeo.command("copy", "--src-tls-verify=false", "--src-creds", "bob:" + AuthFixture.password("bob"),
                "docker://" + balancer.hostPort() + "/" + repository + ":v1", "oci:" + back + ":v1").run();

        assertThat(OciLayout.at(back).resolve("v1")).isEqualTo(manifest);
        assertThat(OciLayout.at(back).blobDigests()).containsExactlyInAnyOrderElementsOf(source.blobDigests());
        assertThat(awaitRouted("/v2/" + repository + "/", 6)).as("requests of the push and pull")
                .anyMatch(r -> r.endsWith(node(0))).anyMatch(r -> r.endsWith(node(1)));

        // Right after the push, from whichever node answers: the tag and the repository are there.
        RegistryClient alice = viaBalancer.authorized(basic("alice"));
        for (int i = 0; i < 4; i++) {
            HttpResponse<byte[]> tags = alice.get("/v2/" + repository + "/tags/list");
            assertThat(tags.statusCode()).as(body(tags)).isEqualTo(200);
            assertThat(RegistryClient.json(tags).get("tags").toString()).isEqualTo("[\"v1\"]");
            HttpResponse<byte[]> catalog = alice.get("/v2/_catalog");
            assertThat(catalog.statusCode()).as(body(catalog)).isEqualTo(200);
            assertThat(RegistryClient.json(catalog).get("repositories").toString()).contains("\"" + repository + "\"");
        }
    }

    @Test
    void aChunkedUploadWhoseRequestsAlternateBetweenTheNodesIsStoredWhole() {
        String repository = "team/chunks-" + UUID.randomUUID();
        String token = AuthFixture.token(viaBalancer, "alice", "repository:" + repository + ":pull,push");
        RegistryClient client = viaBalancer.authorized(bearer(token));
        byte[] blob = TestContent.randomBytes(7 * MIB + 13);
        int[] cuts = {0, MIB, 6 * MIB, blob.length};

        HttpResponse<byte[]> started = client.post("/v2/" + repository + "/blobs/uploads/", new byte[0]);
        assertThat(started.statusCode()).as(body(started)).isEqualTo(202);
        String upload = RegistryClient.location(started);
        assertThat(upload).as("Location").startsWith("/v2/" + repository + "/blobs/uploads/");
        for (int i = 0; i + 1 < cuts.length; i++) {
            HttpResponse<byte[]> patched = client.patch(upload, Arrays.copyOfRange(blob, cuts[i], cuts[i + 1]),
                    "Content-Type", "application/octet-stream", "Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1));
            assertThat(patched.statusCode()).as("PATCH %d: %s", i, body(patched)).isEqualTo(202);
            assertThat(header(patched, "Range")).isEqualTo("0-" + (cuts[i + 1] - 1));
            upload = RegistryClient.location(patched);
        }
        HttpResponse<byte[]> done = client.put(withQuery(upload, "digest=" + sha256(blob)), new byte[0]);
        assertThat(done.statusCode()).as(body(done)).isEqualTo(201);

        List<String> routed = awaitRouted("/v2/" + repository + "/blobs/uploads/", 5);
        assertThat(routed).as("POST, 3 PATCHes and PUT").hasSize(5);
        List<String> nodesInOrder = routed.stream().map(line -> line.substring(line.lastIndexOf(' ') + 1)).toList();
        assertThat(nodesInOrder).containsOnly(node(0), node(1));
        for (int i = 1; i < nodesInOrder.size(); i++) {
            assertThat(nodesInOrder.get(i)).as("request %d of %s", i, routed).isNotEqualTo(nodesInOrder.get(i - 1));
        }
        for (int i = 0; i < 2; i++) {
            RegistryClient direct = new RegistryClient("http://" + node(i)).authorized(bearer(token));
            HttpResponse<byte[]> pulled = direct.get("/v2/" + repository + "/blobs/" + sha256(blob));
            assertThat(pulled.statusCode()).as("node %d", i).isEqualTo(200);
            assertThat(pulled.body()).as("node %d", i).isEqualTo(blob);
        }
    }

    @Test
    void aRobotMadeOnOneNodeLogsInThroughTheBalancerOnEveryNode() throws Exception {
        Path config = NodeFiles.config(dir.resolve("robot.yaml"), database.url(), bucket);
        String name = "ci" + UUID.randomUUID().toString().substring(0, 8);
        String out = berth("token", "create", "--config", config.toString(), "--data", dir.resolve("node1").toString(),
                "--name", name, "--repo", "team/robot-*", "--actions", "pull,push");
        Matcher matcher = ROBOT_TOKEN.matcher(out);
        assertThat(matcher.find()).as(out).isTrue();
        String credentials = basic("robot$" + name, matcher.group(1));
        String repository = "team/robot-" + kind.name().toLowerCase();

        // Each token request and each push request goes to the next node.
        for (int i = 0; i < 4; i++) {
            HttpResponse<byte[]> token = viaBalancer.get("/token?service=berth&scope=repository:" + repository
                    + ":pull,push", "Authorization", credentials);
            assertThat(token.statusCode()).as(body(token)).isEqualTo(200);
            RegistryClient robot = viaBalancer.authorized(bearer(RegistryClient.json(token).get("token").asString()));
            RegistryClient.PushedImage image = robot.pushImage(repository, "v" + i);
            assertThat(robot.get("/v2/" + repository + "/manifests/v" + i, "Accept", TestContent.OCI_MANIFEST).body())
                    .isEqualTo(image.manifest());
        }
        assertThat(awaitRouted("/v2/" + repository + "/manifests/", 8)).as("manifest PUTs and GETs")
                .anyMatch(r -> r.endsWith(node(0))).anyMatch(r -> r.endsWith(node(1)));
    }

    @Test
    void aTagMovedThroughOneNodeIsSeenOnTheOtherAtOnce() throws Exception {
        String repository = "team/moved-" + UUID.randomUUID();
        String token = AuthFixture.token(viaBalancer, "alice", "repository:" + repository + ":pull,push");
        RegistryClient first = new RegistryClient("http://" + node(0)).authorized(bearer(token));
        RegistryClient second = new RegistryClient("http://" + node(1)).authorized(bearer(token));
        RegistryClient.PushedImage old = first.pushImage(repository, "latest");
        assertThat(digestOfLatest(second, repository)).as("cached on the second node").isEqualTo(old.digest());

        RegistryClient.PushedImage moved = first.pushImage(repository, "latest", 2);

        assertThat(digestOfLatest(second, repository)).isEqualTo(moved.digest());
        assertThat(digestOfLatest(first, repository)).isEqualTo(moved.digest());
        assertThat(digestOfLatest(viaBalancer.authorized(bearer(token)), repository)).isEqualTo(moved.digest());
    }

    private static String digestOfLatest(RegistryClient client, String repository) {
        HttpResponse<byte[]> head = client.head("/v2/" + repository + "/manifests/latest", "Accept",
                TestContent.OCI_MANIFEST);
        assertThat(head.statusCode()).isEqualTo(200);
        return header(head, "Docker-Content-Digest");
    }

    /** The logged requests whose path starts with {@code path}, once there are {@code count} (the log may lag). */
    private List<String> awaitRouted(String path, int count) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            List<String> routed = balancer.routedRequests().stream().filter(line -> line.contains(" " + path)).toList();
            if (routed.size() >= count || System.nanoTime() > deadline) {
                assertThat(routed.size()).as("logged requests:\n%s", balancer.logTail()).isGreaterThanOrEqualTo(count);
                return routed;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private static String berth(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
        assertThat(exit).as("berth %s: %s", List.of(args), err).isZero();
        return out.toString();
    }
}
