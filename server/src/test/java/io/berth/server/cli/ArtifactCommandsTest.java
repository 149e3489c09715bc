package io.berth.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.client.Referrers;
import io.berth.client.RegistryClient;
import io.berth.client.Repository;
import io.berth.client.testing.Distribution;
import io.berth.client.testing.TestImages;
import io.berth.client.testing.TestImages.ReferredIndex;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.Manifest;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code berth copy}, {@code berth attach} and {@code berth discover}, run in-process against Berth and Distribution. */
class ArtifactCommandsTest {

    @TempDir
    static Path dir;
    static TestRegistry berth;
    static Distribution distribution;
    static RegistryClient onBerth;
    static RegistryClient onDistribution;
    static BerthCli cli;

    @BeforeAll
    static void start() throws Exception {
        distribution = Distribution.start(dir.resolve("distribution"));
        berth = TestRegistry.start(Backend.SQLITE);
        onBerth = RegistryClient.builder(berth.hostPort()).plainHttp(true).build();
        onDistribution = RegistryClient.builder(distribution.address()).plainHttp(true).build();
        cli = BerthCli.plainHttp(dir.resolve("no-docker-config.json"));
    }

    @AfterAll
    static void stop() {
        if (berth != null) {
            berth.close();
        }
        if (distribution != null) {
            distribution.close();
        }
    }

    @Test
    void copyCarriesAnImageWithItsReferrersAndChosenPlatforms() throws Exception {
        Repository origin = onBerth.repository("cli/copy");
        ReferredIndex f = TestImages.referredIndex(origin, "v1", 600);
        String from = berth.hostPort() + "/cli/copy:v1";

        BerthCli.Result all = cli.run("copy", "--referrers", from, distribution.address() + "/cli/copy");
        BerthCli.Result arm = cli.run("copy", "--json", "--platform", "linux/arm64", from, distribution.address() + "/cli/copy:arm");

        assertThat(all.exitCode()).as(all.err()).isZero();
        assertThat(all.out()).startsWith("Copied " + from + " to " + distribution.address() + "/cli/copy@"
                + f.index().digest()).contains("4 referrers");
        Repository copy = onDistribution.repository("cli/copy");
        assertThat(copy.pullManifest("v1").bytes()).isEqualTo(origin.pullManifest("v1").bytes());
        assertThat(copy.referrers(f.sbom().digest(), null).manifests()).extracting(Descriptor::digest)
                .containsExactly(f.sbomSignature().digest());
        assertThat(arm.exitCode()).as(arm.err()).isZero();
        JsonNode result = arm.json();
        Manifest subset = copy.pullManifest("arm").parsed();
        assertThat(result.path("digest").asString()).isEqualTo(Digest.sha256(copy.pullManifest("arm").bytes())
                .toString());
        assertThat(subset.children()).extracting(Descriptor::digest).containsExactly(f.arm64().manifest().digest());
        // The arm64 child came with the first copy: only the new index is pushed.
        assertThat(result.path("blobsCopied").asInt()).isZero();
        assertThat(result.path("manifestsPushed").asInt()).isEqualTo(1);
        assertThat(result.path("referrersCopied").asInt()).isZero();

        BerthCli.Result missing = cli.run("copy", berth.hostPort() + "/cli/none:v1", distribution.address() + "/cli/none:v1");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        BerthCli.Result badPlatform = cli.run("copy", "--platform", "linux", from, distribution.address() + "/cli/copy:x");
        assertThat(badPlatform.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badPlatform.err()).contains("os/architecture");
    }

    @Test
    void severalPairsCopySeveralImagesInOneRun() throws Exception {
        Repository origin = onBerth.repository("cli/pairs");
        Descriptor amd64 = TestImages.image(origin, "linux/amd64", 1000, 900).manifest();
        Descriptor arm64 = TestImages.image(origin, "linux/arm64", 1000, 901).manifest();
        origin.pushManifest("a", origin.pullManifest(amd64.digest().toString()).bytes(), amd64.mediaType());
        origin.pushManifest("b", origin.pullManifest(arm64.digest().toString()).bytes(), arm64.mediaType());
        String from = berth.hostPort() + "/cli/pairs";
        String to = distribution.address() + "/cli/pairs";

        BerthCli.Result both = cli.run("copy", "--json", from + ":a", to + ":a", from + ":b", to + "-b:b");

        assertThat(both.exitCode()).as(both.err()).isZero();
        assertThat(both.json().size()).isEqualTo(2);
        assertThat(both.json().get(1).path("digest").asString()).isEqualTo(arm64.digest().toString());
        assertThat(onDistribution.repository("cli/pairs").resolve("a")).hasValueSatisfying(
                d -> assertThat(d.digest()).isEqualTo(amd64.digest()));
        assertThat(onDistribution.repository("cli/pairs-b").resolve("b")).hasValueSatisfying(
                d -> assertThat(d.digest()).isEqualTo(arm64.digest()));
        BerthCli.Result odd = cli.run("copy", from + ":a", to + ":a", from + ":b");
        assertThat(odd.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(odd.err()).contains("has no DST");
    }

    @Test
    void attachPushesFilesWithTheirMediaTypesAndAnnotations() throws Exception {
        Repository repository = onDistribution.repository("cli/attach");
        Descriptor image = TestImages.image(repository, "linux/amd64", 1000, 700).manifest();
        TestImages.index(repository, "v1", List.of(new TestImages.Image(image, "linux/amd64", List.of())));
        Path sbom = Files.writeString(dir.resolve("sbom.spdx.json"), "{\"spdxVersion\":\"SPDX-2.3\"}");
        Path notes = Files.writeString(dir.resolve("notes.txt"), "scanned");

        BerthCli.Result run = cli.run("attach", "--json", "--artifact-type", TestImages.SBOM, "--annotation", "made-by=cli",
                distribution.address() + "/cli/attach@" + image.digest(),
                sbom + ":" + TestImages.SBOM, notes.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode result = run.json();
        assertThat(result.path("referrersApi").asBoolean()).isFalse();
        Digest artifact = Digest.parse(result.path("digest").asString());
        Manifest manifest = repository.pullManifest(artifact.toString()).parsed();
        assertThat(manifest.artifactType()).isEqualTo(TestImages.SBOM);
        assertThat(manifest.subject().digest()).isEqualTo(image.digest());
        assertThat(manifest.annotations()).containsEntry("made-by", "cli");
        assertThat(manifest.layers()).extracting(Descriptor::mediaType)
                .containsExactly(TestImages.SBOM, AttachCommand.DEFAULT_FILE_TYPE);
        assertThat(manifest.layers()).extracting(layer -> layer.annotations().get("org.opencontainers.image.title"))
                .containsExactly("sbom.spdx.json", "notes.txt");
        assertThat(repository.tags()).contains(Referrers.tagFor(image.digest()));
        assertThat(repository.referrers(image.digest(), TestImages.SBOM).manifests()).extracting(Descriptor::digest)
                .containsExactly(artifact);

        BerthCli.Result missingFile = cli.run("attach", "--artifact-type", TestImages.SBOM,
                distribution.address() + "/cli/attach@" + image.digest(), dir.resolve("absent").toString());
        assertThat(missingFile.exitCode()).isEqualTo(ExitCodes.USAGE);
        BerthCli.Result missingSubject = cli.run("attach", "--artifact-type", TestImages.SBOM,
                distribution.address() + "/cli/attach:nothing", notes.toString());
        assertThat(missingSubject.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void discoverDrawsTheTreeOfReferrersAndAnswersInJson() throws Exception {
        Repository repository = onBerth.repository("cli/discover");
        ReferredIndex f = TestImages.referredIndex(repository, "v1", 800);
        String ref = berth.hostPort() + "/cli/discover:v1";

        BerthCli.Result tree = cli.run("discover", ref);
        BerthCli.Result json = cli.run("discover", "--json", "--artifact-type", TestImages.SBOM, ref);

        assertThat(tree.exitCode()).as(tree.err()).isZero();
        String sig = f.signature().digest().toString();
        String sbom = f.sbom().digest().toString();
        String sbomSig = f.sbomSignature().digest().toString();
        // The referrers API lists them by digest, not by when they were pushed.
        String first = sig.compareTo(sbom) < 0 ? TestImages.SIGNATURE : TestImages.SBOM;
        String expected = first.equals(TestImages.SIGNATURE) ? """
                %s
                ├── application/vnd.example.signature
                │   └── %s
                └── application/spdx+json
                    └── %s
                        └── application/vnd.example.signature
                            └── %s
                """.formatted(berth.hostPort() + "/cli/discover@" + f.index().digest(), sig, sbom, sbomSig) : """
                %s
                ├── application/spdx+json
                │   └── %s
                │       └── application/vnd.example.signature
                │           └── %s
                └── application/vnd.example.signature
                    └── %s
                """.formatted(berth.hostPort() + "/cli/discover@" + f.index().digest(), sbom, sbomSig, sig);
        assertThat(tree.out()).isEqualTo(expected);

        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode root = json.json();
        assertThat(root.path("digest").asString()).isEqualTo(f.index().digest().toString());
        assertThat(root.path("referrers")).hasSize(1);
        JsonNode sbomNode = root.path("referrers").get(0);
        assertThat(sbomNode.path("digest").asString()).isEqualTo(sbom);
        assertThat(sbomNode.path("artifactType").asString()).isEqualTo(TestImages.SBOM);
        assertThat(sbomNode.path("referrers").get(0).path("digest").asString()).isEqualTo(sbomSig);

        assertThat(cli.run("discover", berth.hostPort() + "/cli/discover:nothing").exitCode())
                .isEqualTo(ExitCodes.NOT_FOUND);
    }
}
